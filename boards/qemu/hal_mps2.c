// Cortex-M boards of QEMU (mps2-an386: Cortex-M4F, mps2-an385: Cortex-M3):
// vector table and reset, CMSDK UART0 (console) and UART1 (link to the host,
// received by interrupt), SysTick as the clock, semihosting exit.
#include <stdint.h>
#include <string.h>

#include "py/mpconfig.h"
#include "mphalport.h"

#define REG(a) (*(volatile uint32_t *)(a))
#define UART0 0x40004000u
#define UART1 0x40005000u
#define UART_DATA(u) REG((u) + 0x00)
#define UART_STATE(u) REG((u) + 0x04)   // bit 0 TX full, bit 1 RX full
#define UART_CTRL(u) REG((u) + 0x08)    // bit 0 TX on, 1 RX on, 3 RX interrupt
#define UART_INT(u) REG((u) + 0x0c)     // write 1s to clear
#define UART_BAUDDIV(u) REG((u) + 0x10)
#define SYST_CSR REG(0xe000e010)
#define SYST_RVR REG(0xe000e014)
#define SYST_CVR REG(0xe000e018)
#define NVIC_ISER0 REG(0xe000e100)
#define SCB_CPACR REG(0xe000ed88)
#define UART1_RX_IRQ 2

const uint32_t board_cpu_hz = 25000000;  // the mps2 boards' system clock
#define TICK_CYCLES (board_cpu_hz / 1000)
static volatile uint32_t tick_ms;

void SysTick_Handler(void) {
    tick_ms++;
}

// Clear the interrupt before draining: a byte that lands after the last read
// raises it again instead of sitting unseen in the data register.
void UART1_RX_Handler(void) {
    UART_INT(UART1) = 2;
    while (UART_STATE(UART1) & 2) {
        link_rx_push(UART_DATA(UART1));
    }
}

uint64_t board_cycles(void) {
    uint32_t ms, val;
    do {
        ms = tick_ms;
        val = SYST_CVR;
    } while (ms != tick_ms);
    return (uint64_t)ms * TICK_CYCLES + (TICK_CYCLES - 1 - val);
}

void board_init(void) {
    #if defined(__ARM_FP)
    SCB_CPACR |= 0xfu << 20;  // CP10, CP11: the FPU
    #endif
    UART_BAUDDIV(UART0) = 16;
    UART_CTRL(UART0) = 3;
    UART_BAUDDIV(UART1) = 16;
    UART_CTRL(UART1) = 3 | 8;
    NVIC_ISER0 = 1u << UART1_RX_IRQ;
    SYST_RVR = TICK_CYCLES - 1;
    SYST_CVR = 0;
    SYST_CSR = 7;  // processor clock, interrupt, enable
}

void board_idle(void) {
    __asm volatile ("wfi");
}

void board_console_write(const char *s, size_t n) {
    while (n--) {
        while (UART_STATE(UART0) & 1) {
        }
        UART_DATA(UART0) = (uint8_t)*s++;
    }
}

int board_console_read(void) {
    return (UART_STATE(UART0) & 2) ? (int)(UART_DATA(UART0) & 0xff) : -1;
}

void board_link_write(const uint8_t *s, size_t n) {
    while (n--) {
        while (UART_STATE(UART1) & 1) {
        }
        UART_DATA(UART1) = *s++;
    }
}

// ARM semihosting SYS_EXIT_EXTENDED: QEMU exits with `code` as its status.
void board_exit(int code) {
    uint32_t block[2] = {0x20026, (uint32_t)code};  // ADP_Stopped_ApplicationExit
    register uint32_t r0 __asm("r0") = 0x20;
    register uint32_t *r1 __asm("r1") = block;
    __asm volatile ("bkpt 0xab" : : "r" (r0), "r" (r1) : "memory");
    for (;;) {
    }
}

// --- reset and vectors ------------------------------------------------------------
extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
int main(void);

void Reset_Handler(void) {
    memcpy(&_sdata, &_sidata, (size_t)((char *)&_edata - (char *)&_sdata));
    memset(&_sbss, 0, (size_t)((char *)&_ebss - (char *)&_sbss));
    main();
    for (;;) {
    }
}

static void put_hex(const char *label, uint32_t v) {
    char b[20];
    size_t n = strlen(label);
    memcpy(b, label, n);
    for (int i = 7; i >= 0; i--) {
        b[n++] = "0123456789abcdef"[(v >> (4 * i)) & 15];
    }
    b[n++] = ' ';
    board_console_write(b, n);
}

// A fault prints the stacked PC and the fault status, then ends the run.
__attribute__((used)) static void fault_report(uint32_t *frame) {
    board_console_write("FATAL: CPU fault ", 17);
    put_hex("pc=", frame[6]);
    put_hex("lr=", frame[5]);
    put_hex("cfsr=", REG(0xe000ed28));
    put_hex("bfar=", REG(0xe000ed38));
    board_console_write("\n", 1);
    board_exit(97);
}

__attribute__((naked)) static void Fault_Handler(void) {
    __asm volatile ("mrs r0, msp\n b fault_report");
}

__attribute__((section(".isr_vector"), used))
const void *const vectors[16 + 32] = {
    &_estack, Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, 0, 0, 0, 0, Fault_Handler, Fault_Handler, 0, Fault_Handler,
    SysTick_Handler,
    [16 + UART1_RX_IRQ] = UART1_RX_Handler,
};
