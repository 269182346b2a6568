// umqtt-rs QEMU test firmware: boots MicroPython, runs /main.py from the file
// blob the host loaded into RAM (see mkfs.py), and exits QEMU with its status.
// Imports (the .py stand-ins and the umqtt/simple.mpy under test) are served
// from the same blob.
#include <string.h>

#include "py/builtin.h"
#include "py/compile.h"
#include "py/cstack.h"
#include "py/gc.h"
#include "py/lexer.h"
#include "py/mperrno.h"
#include "py/mphal.h"
#include "py/persistentcode.h"
#include "py/reader.h"
#include "py/runtime.h"
#include "py/stackctrl.h"
#include "py/stream.h"
#include "shared/runtime/gchelper.h"
#include "boardfs.h"

#ifndef HEAP_SIZE
#define HEAP_SIZE (256 * 1024)
#endif
static uint32_t heap[HEAP_SIZE / 4];
extern uint32_t _estack;

// --- the file blob -------------------------------------------------------------
// Layout (little endian, 4-byte aligned): "UFS1", then per file u32 name length,
// u32 data length, name, data (each padded to 4); a zero name length ends it.
static const uint8_t *fs_find(const char *path, size_t *len) {
    const uint32_t *p = (const uint32_t *)BOARDFS_ADDR;
    if (p[0] != 0x31534655) {  // "UFS1"
        return NULL;
    }
    p++;
    while (p[0] != 0) {
        size_t nlen = p[0], dlen = p[1];
        const char *name = (const char *)(p + 2);
        const uint8_t *data = (const uint8_t *)(p + 2) + ((nlen + 3) & ~3u);
        if (nlen == strlen(path) && memcmp(name, path, nlen) == 0) {
            *len = dlen;
            return data;
        }
        p = (const uint32_t *)(data + ((dlen + 3) & ~3u));
    }
    return NULL;
}

static bool fs_is_dir(const char *path) {
    size_t n = strlen(path);
    const uint32_t *p = (const uint32_t *)BOARDFS_ADDR;
    if (p[0] != 0x31534655) {
        return false;
    }
    p++;
    while (p[0] != 0) {
        size_t nlen = p[0], dlen = p[1];
        const char *name = (const char *)(p + 2);
        if (nlen > n && memcmp(name, path, n) == 0 && name[n] == '/') {
            return true;
        }
        p = (const uint32_t *)((const uint8_t *)(p + 2) + ((nlen + 3) & ~3u) + ((dlen + 3) & ~3u));
    }
    return false;
}

mp_import_stat_t mp_import_stat(const char *path) {
    size_t len;
    if (fs_find(path, &len)) {
        return MP_IMPORT_STAT_FILE;
    }
    return fs_is_dir(path) ? MP_IMPORT_STAT_DIR : MP_IMPORT_STAT_NO_EXIST;
}

void mp_reader_new_file(mp_reader_t *reader, qstr filename) {
    size_t len;
    const uint8_t *data = fs_find(qstr_str(filename), &len);
    if (data == NULL) {
        mp_raise_OSError(MP_ENOENT);
    }
    mp_reader_new_mem(reader, data, len, MP_READER_IS_ROM);
}

mp_lexer_t *mp_lexer_new_from_file(qstr filename) {
    mp_reader_t reader;
    mp_reader_new_file(&reader, filename);
    return mp_lexer_new(filename, reader);
}

mp_obj_t mp_builtin_open(size_t n_args, const mp_obj_t *args, mp_map_t *kwargs) {
    mp_raise_OSError(MP_EPERM);
}
MP_DEFINE_CONST_FUN_OBJ_KW(mp_builtin_open_obj, 1, mp_builtin_open);

// --- running main.py -----------------------------------------------------------
static int run_main(void) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mp_lexer_t *lex = mp_lexer_new_from_file(qstr_from_str("main.py"));
        qstr source_name = lex->source_name;
        mp_parse_tree_t pt = mp_parse(lex, MP_PARSE_FILE_INPUT);
        mp_obj_t f = mp_compile(&pt, source_name, false);
        mp_call_function_0(f);
        nlr_pop();
        return 0;
    }
    mp_obj_t exc = MP_OBJ_FROM_PTR(nlr.ret_val);
    if (mp_obj_is_subclass_fast(MP_OBJ_FROM_PTR(mp_obj_get_type(exc)),
        MP_OBJ_FROM_PTR(&mp_type_SystemExit))) {
        mp_obj_t code = mp_obj_exception_get_value(exc);
        return code == mp_const_none ? 0 : mp_obj_get_int(code);
    }
    mp_obj_print_exception(&mp_plat_print, exc);
    return 1;
}

int main(void) {
    board_init();
    mp_cstack_init_with_top(&_estack, 16 * 1024);
    gc_init(heap, heap + HEAP_SIZE / 4);
    mp_init();
    int rc = run_main();
    mp_deinit();
    board_exit(rc);
    return rc;
}

void gc_collect(void) {
    gc_collect_start();
    gc_helper_collect_regs_and_stack();
    gc_collect_end();
}

void nlr_jump_fail(void *val) {
    (void)val;
    board_console_write("FATAL: nlr_jump_fail\n", 21);
    board_exit(99);
    for (;;) {
    }
}

void NORETURN __fatal_error(const char *msg) {
    board_console_write(msg, strlen(msg));
    board_exit(98);
    for (;;) {
    }
}

#ifndef NDEBUG
void MP_WEAK __assert_func(const char *file, int line, const char *func, const char *expr) {
    mp_printf(&mp_plat_print, "assert %s:%d %s\n", file, line, expr);
    __fatal_error("assertion failed\n");
}
#endif

// --- console (UART 0) ------------------------------------------------------------
mp_uint_t mp_hal_stdout_tx_strn(const char *str, size_t len) {
    board_console_write(str, len);
    return len;
}

int mp_hal_stdin_rx_chr(void) {
    for (;;) {
        int c = board_console_read();
        if (c >= 0) {
            return c;
        }
        board_idle();
    }
}

uintptr_t mp_hal_stdio_poll(uintptr_t poll_flags) {
    return poll_flags & MP_STREAM_POLL_WR;
}

// --- time --------------------------------------------------------------------------
mp_uint_t mp_hal_ticks_ms(void) {
    return (mp_uint_t)(board_cycles() / (board_cpu_hz / 1000));
}

mp_uint_t mp_hal_ticks_us(void) {
    return (mp_uint_t)(board_cycles() / (board_cpu_hz / 1000000));
}

mp_uint_t mp_hal_ticks_cpu(void) {
    return (mp_uint_t)board_cycles();
}

void mp_hal_delay_us(mp_uint_t us) {
    uint64_t end = board_cycles() + (uint64_t)us * (board_cpu_hz / 1000000);
    while (board_cycles() < end) {
        board_idle();
    }
}

void mp_hal_delay_ms(mp_uint_t ms) {
    mp_hal_delay_us(ms * 1000);
}
