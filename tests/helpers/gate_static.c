/*
 * gate_static: gate_raw linked statically (see the Makefile rule), so no
 * dynamic loader and no shared libc is involved: only the kernel-level
 * gate can see its calls.
 */
#include "gate_raw.c"
