// C library shims: the Rust objects of both native modules (simple.mpy,
// _sign.mpy) call these; route them to the runtime.
#include "py/dynruntime.h"

void *memcpy(void *dst, const void *src, size_t n) {
    return mp_fun_table.memmove_(dst, src, n);
}
void *memmove(void *dst, const void *src, size_t n) {
    return mp_fun_table.memmove_(dst, src, n);
}
void *memset(void *s, int c, size_t n) {
    return mp_fun_table.memset_(s, c, n);
}
int memcmp(const void *a, const void *b, size_t n) {
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return 0;
}
int bcmp(const void *a, const void *b, size_t n) {
    return memcmp(a, b, n);
}
#if defined(__arm__)
// ARM EABI helpers (note the argument order of __aeabi_memset: n before c).
void __aeabi_memcpy(void *d, const void *s, size_t n) {
    mp_fun_table.memmove_(d, s, n);
}
void __aeabi_memcpy4(void *d, const void *s, size_t n) {
    mp_fun_table.memmove_(d, s, n);
}
void __aeabi_memcpy8(void *d, const void *s, size_t n) {
    mp_fun_table.memmove_(d, s, n);
}
void __aeabi_memmove(void *d, const void *s, size_t n) {
    mp_fun_table.memmove_(d, s, n);
}
void __aeabi_memmove4(void *d, const void *s, size_t n) {
    mp_fun_table.memmove_(d, s, n);
}
void __aeabi_memmove8(void *d, const void *s, size_t n) {
    mp_fun_table.memmove_(d, s, n);
}
void __aeabi_memset(void *d, size_t n, int c) {
    mp_fun_table.memset_(d, c, n);
}
void __aeabi_memset4(void *d, size_t n, int c) {
    mp_fun_table.memset_(d, c, n);
}
void __aeabi_memset8(void *d, size_t n, int c) {
    mp_fun_table.memset_(d, c, n);
}
void __aeabi_memclr(void *d, size_t n) {
    mp_fun_table.memset_(d, 0, n);
}
void __aeabi_memclr4(void *d, size_t n) {
    mp_fun_table.memset_(d, 0, n);
}
void __aeabi_memclr8(void *d, size_t n) {
    mp_fun_table.memset_(d, 0, n);
}
#endif
