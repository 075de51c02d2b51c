; mb_flood_rude.asm - rude console flood: 100,000 bytes, THRE never read
; (see mb_flood.inc).
%define RUDE
%define FLOOD_BYTES 100000
%include "mb_flood.inc"
