// Python modules of the test firmware:
//   board: the UART link to the host (lib/socket.py speaks its framing), CPU
//          cycles for benchmarks, exit();
//   time:  the ticks_* / sleep* subset of MicroPython's time module.
#include "py/mphal.h"
#include "py/objint.h"
#include "py/runtime.h"
#include "py/stream.h"

// --- link receive ring, filled from the UART interrupt ------------------------------
#define LINK_RX_SIZE (64 * 1024)
static uint8_t link_rx[LINK_RX_SIZE];
static volatile uint32_t link_rx_head, link_rx_tail;  // head: writer, tail: reader
static volatile uint32_t link_rx_dropped;

void link_rx_push(uint8_t b) {
    uint32_t next = (link_rx_head + 1) % LINK_RX_SIZE;
    if (next == link_rx_tail) {
        link_rx_dropped++;  // reported by board.link_dropped(); the tests check it
        return;
    }
    link_rx[link_rx_head] = b;
    link_rx_head = next;
}

static mp_obj_t board_link_write_fn(mp_obj_t data) {
    mp_buffer_info_t bi;
    mp_get_buffer_raise(data, &bi, MP_BUFFER_READ);
    board_link_write(bi.buf, bi.len);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(board_link_write_obj, board_link_write_fn);

static mp_obj_t board_link_readinto_fn(mp_obj_t buf_in) {
    mp_buffer_info_t bi;
    mp_get_buffer_raise(buf_in, &bi, MP_BUFFER_WRITE);
    uint8_t *dst = bi.buf;
    size_t n = 0;
    while (n < bi.len && link_rx_tail != link_rx_head) {
        dst[n++] = link_rx[link_rx_tail];
        link_rx_tail = (link_rx_tail + 1) % LINK_RX_SIZE;
    }
    return MP_OBJ_NEW_SMALL_INT(n);
}
static MP_DEFINE_CONST_FUN_OBJ_1(board_link_readinto_obj, board_link_readinto_fn);

static mp_obj_t board_link_any_fn(void) {
    return MP_OBJ_NEW_SMALL_INT((link_rx_head + LINK_RX_SIZE - link_rx_tail) % LINK_RX_SIZE);
}
static MP_DEFINE_CONST_FUN_OBJ_0(board_link_any_obj, board_link_any_fn);

static mp_obj_t board_link_dropped_fn(void) {
    return MP_OBJ_NEW_SMALL_INT(link_rx_dropped);
}
static MP_DEFINE_CONST_FUN_OBJ_0(board_link_dropped_obj, board_link_dropped_fn);

static mp_obj_t board_idle_fn(void) {
    board_idle();
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(board_idle_obj, board_idle_fn);

// CPU cycles since boot. Under QEMU -icount the virtual clock advances by a fixed
// time per guest instruction, so differences count instructions deterministically.
static mp_obj_t board_cycles_fn(void) {
    return mp_obj_new_int_from_ull(board_cycles());
}
static MP_DEFINE_CONST_FUN_OBJ_0(board_cycles_obj, board_cycles_fn);

static mp_obj_t board_exit_fn(mp_obj_t code) {
    board_exit(mp_obj_get_int(code));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(board_exit_obj, board_exit_fn);

static const mp_rom_map_elem_t board_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_board) },
    { MP_ROM_QSTR(MP_QSTR_link_write), MP_ROM_PTR(&board_link_write_obj) },
    { MP_ROM_QSTR(MP_QSTR_link_readinto), MP_ROM_PTR(&board_link_readinto_obj) },
    { MP_ROM_QSTR(MP_QSTR_link_any), MP_ROM_PTR(&board_link_any_obj) },
    { MP_ROM_QSTR(MP_QSTR_link_dropped), MP_ROM_PTR(&board_link_dropped_obj) },
    { MP_ROM_QSTR(MP_QSTR_idle), MP_ROM_PTR(&board_idle_obj) },
    { MP_ROM_QSTR(MP_QSTR_cycles), MP_ROM_PTR(&board_cycles_obj) },
    { MP_ROM_QSTR(MP_QSTR_exit), MP_ROM_PTR(&board_exit_obj) },
};
static MP_DEFINE_CONST_DICT(board_globals, board_globals_table);
const mp_obj_module_t board_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&board_globals,
};
MP_REGISTER_MODULE(MP_QSTR_board, board_module);

// --- time -----------------------------------------------------------------------
#define TICKS_PERIOD (1u << 30)
#define TICKS_MASK (TICKS_PERIOD - 1)

static mp_obj_t time_ticks_ms(void) {
    return MP_OBJ_NEW_SMALL_INT(mp_hal_ticks_ms() & TICKS_MASK);
}
static MP_DEFINE_CONST_FUN_OBJ_0(time_ticks_ms_obj, time_ticks_ms);

static mp_obj_t time_ticks_us(void) {
    return MP_OBJ_NEW_SMALL_INT(mp_hal_ticks_us() & TICKS_MASK);
}
static MP_DEFINE_CONST_FUN_OBJ_0(time_ticks_us_obj, time_ticks_us);

static mp_obj_t time_ticks_cpu(void) {
    return MP_OBJ_NEW_SMALL_INT(mp_hal_ticks_cpu() & TICKS_MASK);
}
static MP_DEFINE_CONST_FUN_OBJ_0(time_ticks_cpu_obj, time_ticks_cpu);

static mp_obj_t time_ticks_diff(mp_obj_t end_in, mp_obj_t start_in) {
    mp_uint_t diff = (MP_OBJ_SMALL_INT_VALUE(end_in) - MP_OBJ_SMALL_INT_VALUE(start_in)
        + TICKS_PERIOD / 2) & TICKS_MASK;
    return MP_OBJ_NEW_SMALL_INT((mp_int_t)diff - (mp_int_t)(TICKS_PERIOD / 2));
}
static MP_DEFINE_CONST_FUN_OBJ_2(time_ticks_diff_obj, time_ticks_diff);

static mp_obj_t time_ticks_add(mp_obj_t t_in, mp_obj_t d_in) {
    return MP_OBJ_NEW_SMALL_INT((mp_obj_get_int(t_in) + mp_obj_get_int(d_in)) & TICKS_MASK);
}
static MP_DEFINE_CONST_FUN_OBJ_2(time_ticks_add_obj, time_ticks_add);

static mp_obj_t time_sleep(mp_obj_t s) {
    mp_hal_delay_us((mp_uint_t)(mp_obj_get_float(s) * 1000000));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(time_sleep_obj, time_sleep);

static mp_obj_t time_sleep_ms(mp_obj_t ms) {
    mp_int_t v = mp_obj_get_int(ms);
    if (v > 0) {
        mp_hal_delay_ms(v);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(time_sleep_ms_obj, time_sleep_ms);

static mp_obj_t time_sleep_us(mp_obj_t us) {
    mp_int_t v = mp_obj_get_int(us);
    if (v > 0) {
        mp_hal_delay_us(v);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(time_sleep_us_obj, time_sleep_us);

static mp_obj_t time_time(void) {
    return mp_obj_new_int(mp_hal_ticks_ms() / 1000);
}
static MP_DEFINE_CONST_FUN_OBJ_0(time_time_obj, time_time);

static const mp_rom_map_elem_t time_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_time) },
    { MP_ROM_QSTR(MP_QSTR_ticks_ms), MP_ROM_PTR(&time_ticks_ms_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks_us), MP_ROM_PTR(&time_ticks_us_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks_cpu), MP_ROM_PTR(&time_ticks_cpu_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks_diff), MP_ROM_PTR(&time_ticks_diff_obj) },
    { MP_ROM_QSTR(MP_QSTR_ticks_add), MP_ROM_PTR(&time_ticks_add_obj) },
    { MP_ROM_QSTR(MP_QSTR_sleep), MP_ROM_PTR(&time_sleep_obj) },
    { MP_ROM_QSTR(MP_QSTR_sleep_ms), MP_ROM_PTR(&time_sleep_ms_obj) },
    { MP_ROM_QSTR(MP_QSTR_sleep_us), MP_ROM_PTR(&time_sleep_us_obj) },
    { MP_ROM_QSTR(MP_QSTR_time), MP_ROM_PTR(&time_time_obj) },
};
static MP_DEFINE_CONST_DICT(time_globals, time_globals_table);
const mp_obj_module_t time_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&time_globals,
};
MP_REGISTER_MODULE(MP_QSTR_time, time_module);
