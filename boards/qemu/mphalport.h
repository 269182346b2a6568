// HAL of the QEMU test firmware (implemented in hal_<cpu>.c and main.c).
#include <stdint.h>

static inline void mp_hal_set_interrupt_char(char c) {
    (void)c;
}

mp_uint_t mp_hal_ticks_ms(void);
mp_uint_t mp_hal_ticks_us(void);
mp_uint_t mp_hal_ticks_cpu(void);
void mp_hal_delay_ms(mp_uint_t ms);
void mp_hal_delay_us(mp_uint_t us);

// Board interface shared by main.c and the CPU files.
void board_init(void);
void board_idle(void);
void board_exit(int code);
void board_console_write(const char *s, size_t n);
int board_console_read(void);            // -1: nothing yet
void board_link_write(const uint8_t *s, size_t n);
int board_link_read(void);               // -1: nothing yet
uint64_t board_cycles(void);             // CPU clock cycles since boot
extern const uint32_t board_cpu_hz;

// Received link bytes, filled by the UART interrupt (or a poll in board_idle).
void link_rx_push(uint8_t b);

// No pins on these boards (py/mphal.h would pull in extmod's virtual pins).
#define mp_hal_pin_obj_t void *
