/*
 * rsp.h - framing of the GDB remote serial protocol over one socket.
 *
 * GDB manual, Appendix E "GDB Remote Serial Protocol", E.1 "Overview": a
 * packet is `$data#cc`, cc the modulo-256 sum of data's bytes in two hex
 * digits; the receiver answers `+` (good) or `-` (bad checksum: send it
 * again) until QStartNoAckMode turns acknowledgments off. Inside data,
 * `}` escapes the next byte (XORed with 0x20) and `*` starts a run length
 * (only stubs send runs; we send none). A lone 0x03 byte outside a packet
 * is an interrupt request (E.9 "Interrupts").
 */
#ifndef RAX_GDB_RSP_H
#define RAX_GDB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest packet data we take (and advertise as PacketSize, in hex). */
#define RSP_PACKET_MAX 16384

enum rsp_event {
	RSP_NONE,      /* need more bytes */
	RSP_PACKET,    /* a complete, good packet is in data/len */
	RSP_INTERRUPT, /* 0x03 outside a packet */
	RSP_BAD,       /* a packet with a bad checksum or that was too long (ack sent as `-`) */
};

/* The receiver's state: fed bytes one at a time, it yields events. */
struct rsp_reader {
	enum { RSP_IDLE, RSP_DATA, RSP_ESC, RSP_SUM1, RSP_SUM2 } st;
	bool overflow;
	uint8_t sum, got;
	size_t len;
	char data[RSP_PACKET_MAX + 1]; /* NUL-terminated once complete */
};

void rsp_reader_reset(struct rsp_reader *r);
/* Take one byte; returns the event it completes, if any. */
enum rsp_event rsp_feed(struct rsp_reader *r, uint8_t byte);

/* Send `$data#cc` (data of len bytes, escaping what must be: `#$}*`).
 * Returns -1 when the peer is gone. */
int rsp_send(int fd, const char *data, size_t len);
int rsp_send_str(int fd, const char *s);
/* Write all of buf (EINTR retried); -1 when the peer is gone. */
int rsp_write_all(int fd, const void *buf, size_t len);

/* Hex helpers */
int rsp_hexval(int ch); /* -1 if not a hex digit */
/* Parse hex digits at *p into v (up to 16 digits); advances *p; -1 if none. */
int rsp_parse_hex(const char **p, uint64_t *v);
/* Hex-encode n bytes into out (2n chars + NUL). */
void rsp_tohex(char *out, const uint8_t *in, size_t n);
/* Decode 2n hex chars into out; -1 on a bad digit. */
int rsp_fromhex(uint8_t *out, const char *in, size_t n);

#endif
