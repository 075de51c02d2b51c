; mb_flood.asm - polite console flood: 200,000 bytes, each after LSR.THRE
; (see mb_flood.inc).
%define FLOOD_BYTES 200000
%include "mb_flood.inc"
