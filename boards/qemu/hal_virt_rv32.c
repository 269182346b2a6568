// RISC-V board of QEMU (virt, 32-bit, started with -bios none in machine mode):
// the 16550 UART at 0x10000000 is the console; the link to the host is a
// PCI 16550 (-device pci-serial) found on the PCIe bus at boot; the CLINT timer
// is the clock and polls the link every millisecond; the SiFive test device
// ends the run with an exit status.
#include <stdint.h>
#include <string.h>

#include "py/mpconfig.h"
#include "mphalport.h"

#define REG8(a) (*(volatile uint8_t *)(a))
#define REG16(a) (*(volatile uint16_t *)(a))
#define REG32(a) (*(volatile uint32_t *)(a))
#define CONSOLE 0x10000000u
#define UART_RBR 0
#define UART_THR 0
#define UART_FCR 2
#define UART_LSR 5   // bit 0: data ready, bit 5: transmit holding register empty
#define ECAM 0x30000000u
#define PCI_IO 0x03000000u       // CPU address of PCI I/O space
#define LINK_IO_PORT 0x1000u     // the I/O address given to the serial card's BAR 0
#define MTIME_LO 0x0200bff8u
#define MTIME_HI 0x0200bffcu
#define MTIMECMP_LO 0x02004000u
#define MTIMECMP_HI 0x02004004u
#define SIFIVE_TEST 0x00100000u

const uint32_t board_cpu_hz = 10000000;  // CLINT timebase of virt
#define TICK (board_cpu_hz / 1000)
static uint32_t link_base;  // 0 until the PCI serial card is set up

uint64_t board_cycles(void) {
    uint32_t hi, lo;
    do {
        hi = REG32(MTIME_HI);
        lo = REG32(MTIME_LO);
    } while (hi != REG32(MTIME_HI));
    return (uint64_t)hi << 32 | lo;
}

static void set_timer(uint64_t t) {
    REG32(MTIMECMP_HI) = 0xffffffff;  // no spurious interrupt while half-written
    REG32(MTIMECMP_LO) = (uint32_t)t;
    REG32(MTIMECMP_HI) = (uint32_t)(t >> 32);
}

static void link_poll(void) {
    if (link_base) {
        while (REG8(link_base + UART_LSR) & 1) {
            link_rx_push(REG8(link_base + UART_RBR));
        }
    }
}

// Machine-mode trap: the timer polls the link; anything else is a crash.
__attribute__((interrupt("machine"), aligned(4))) static void trap_handler(void) {
    uint32_t cause;
    __asm volatile ("csrr %0, mcause" : "=r" (cause));
    if (cause == 0x80000007u) {
        link_poll();
        set_timer(board_cycles() + TICK);
        return;
    }
    uint32_t epc;
    __asm volatile ("csrr %0, mepc" : "=r" (epc));
    char msg[48] = "FATAL: CPU trap mcause=........ mepc=........\n";
    for (int i = 0; i < 8; i++) {
        msg[23 + i] = "0123456789abcdef"[(cause >> (28 - 4 * i)) & 15];
        msg[37 + i] = "0123456789abcdef"[(epc >> (28 - 4 * i)) & 15];
    }
    board_console_write(msg, 46);
    board_exit(97);
}

// Find QEMU's PCI serial card (1b36:0002) on bus 0, give its I/O BAR an address,
// enable I/O decoding, and switch on its receive FIFO.
static void link_init(void) {
    for (uint32_t dev = 0; dev < 32; dev++) {
        uint32_t cfg = ECAM + (dev << 15);
        if (REG32(cfg) != 0x00021b36u) {
            continue;
        }
        REG32(cfg + 0x10) = LINK_IO_PORT;
        REG16(cfg + 0x04) |= 1;  // I/O space
        link_base = PCI_IO + LINK_IO_PORT;
        // FIFO on, cleared, trigger level 14: QEMU then accepts up to 14 bytes
        // at a time from the host instead of one.
        REG8(link_base + UART_FCR) = 0xc7;
        return;
    }
}

void board_init(void) {
    link_init();
    __asm volatile ("csrw mtvec, %0" : : "r" (trap_handler));
    set_timer(board_cycles() + TICK);
    __asm volatile ("csrs mie, %0" : : "r" (1u << 7));  // machine timer
    __asm volatile ("csrs mstatus, %0" : : "r" (1u << 3));  // MIE
}

void board_idle(void) {
    __asm volatile ("wfi");
}

void board_console_write(const char *s, size_t n) {
    while (n--) {
        while (!(REG8(CONSOLE + UART_LSR) & 0x20)) {
        }
        REG8(CONSOLE + UART_THR) = (uint8_t)*s++;
    }
}

int board_console_read(void) {
    return (REG8(CONSOLE + UART_LSR) & 1) ? REG8(CONSOLE + UART_RBR) : -1;
}

void board_link_write(const uint8_t *s, size_t n) {
    if (!link_base) {
        return;
    }
    while (n--) {
        while (!(REG8(link_base + UART_LSR) & 0x20)) {
        }
        REG8(link_base + UART_THR) = *s++;
    }
}

void board_exit(int code) {
    REG32(SIFIVE_TEST) = code == 0 ? 0x5555u : ((uint32_t)code << 16 | 0x3333u);
    for (;;) {
    }
}

// --- reset -------------------------------------------------------------------------
extern uint32_t _sbss, _ebss;
int main(void);

void start_c(void) {
    memset(&_sbss, 0, (size_t)((char *)&_ebss - (char *)&_sbss));
    main();
    board_exit(0);
}

__asm__ (
    ".section .text.start\n"
    ".global _start\n"
    "_start:\n"
    "  la sp, _estack\n"
    "  j start_c\n"
    );
