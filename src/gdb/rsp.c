/*
 * rsp.c - framing of the GDB remote serial protocol (see rsp.h).
 */
#include "gdb/rsp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void rsp_reader_reset(struct rsp_reader *r)
{
	r->st = RSP_IDLE;
	r->overflow = false;
	r->len = 0;
	r->sum = 0;
	r->got = 0;
}

int rsp_hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static void put_byte(struct rsp_reader *r, uint8_t b)
{
	if (r->len < RSP_PACKET_MAX)
		r->data[r->len++] = (char)b;
	else
		r->overflow = true;
}

/*
 * Bytes outside a packet other than `$` and 0x03 are acknowledgments
 * (`+`, `-`) or noise: skipped. A `$` inside a packet starts it again (the
 * manual's receivers resynchronise on `$`). Escaped bytes are unescaped
 * here, so binary data (X, vFile) arrives as the bytes meant; the checksum
 * covers the bytes as sent.
 */
enum rsp_event rsp_feed(struct rsp_reader *r, uint8_t b)
{
	switch (r->st) {
	case RSP_IDLE:
		if (b == 0x03)
			return RSP_INTERRUPT;
		if (b == '$') {
			rsp_reader_reset(r);
			r->st = RSP_DATA;
		}
		return RSP_NONE;
	case RSP_DATA:
		if (b == '#') {
			r->st = RSP_SUM1;
			return RSP_NONE;
		}
		if (b == '$') { /* a new packet: the old one was cut short */
			rsp_reader_reset(r);
			r->st = RSP_DATA;
			return RSP_NONE;
		}
		r->sum = (uint8_t)(r->sum + b);
		if (b == '}')
			r->st = RSP_ESC;
		else
			put_byte(r, b);
		return RSP_NONE;
	case RSP_ESC:
		r->sum = (uint8_t)(r->sum + b);
		put_byte(r, b ^ 0x20);
		r->st = RSP_DATA;
		return RSP_NONE;
	case RSP_SUM1:
		if (rsp_hexval(b) < 0) {
			r->st = RSP_IDLE;
			return RSP_BAD;
		}
		r->got = (uint8_t)(rsp_hexval(b) << 4);
		r->st = RSP_SUM2;
		return RSP_NONE;
	case RSP_SUM2: {
		int v = rsp_hexval(b);
		r->st = RSP_IDLE;
		if (v < 0 || (uint8_t)(r->got | v) != r->sum || r->overflow)
			return RSP_BAD;
		r->data[r->len] = 0;
		return RSP_PACKET;
	}
	}
	return RSP_NONE;
}

int rsp_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int rsp_send(int fd, const char *data, size_t len)
{
	/* worst case every byte escaped, plus $ # cc */
	char *out = malloc(2 * len + 4);
	if (!out)
		return -1;
	size_t o = 0;
	uint8_t sum = 0;
	out[o++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)data[i];
		if (c == '#' || c == '$' || c == '}' || c == '*') {
			out[o++] = '}';
			sum = (uint8_t)(sum + '}');
			c ^= 0x20;
		}
		out[o++] = (char)c;
		sum = (uint8_t)(sum + c);
	}
	static const char hex[] = "0123456789abcdef";
	out[o++] = '#';
	out[o++] = hex[sum >> 4];
	out[o++] = hex[sum & 15];
	int rc = rsp_write_all(fd, out, o);
	free(out);
	return rc;
}

int rsp_send_str(int fd, const char *s) { return rsp_send(fd, s, strlen(s)); }

int rsp_parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int n = 0;
	while (rsp_hexval((unsigned char)*s) >= 0) {
		if (n == 16)
			return -1; /* more than 64 bits */
		x = x << 4 | (uint64_t)rsp_hexval((unsigned char)*s);
		s++;
		n++;
	}
	if (!n)
		return -1;
	*v = x;
	*p = s;
	return 0;
}

void rsp_tohex(char *out, const uint8_t *in, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = 0;
}

int rsp_fromhex(uint8_t *out, const char *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = rsp_hexval((unsigned char)in[2 * i]),
		    lo = hi < 0 ? -1 : rsp_hexval((unsigned char)in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
