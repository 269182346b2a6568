// MicroPython configuration of the umqtt-rs QEMU test firmware: a bare-metal
// board with a UART console, a UART link to the host (the "network"), a tick
// timer, and files in a RAM blob. Only what umqtt.simple and its tests use.
#include <stdint.h>
#include <alloca.h>

#define MICROPY_CONFIG_ROM_LEVEL (MICROPY_CONFIG_ROM_LEVEL_CORE_FEATURES)

#define MICROPY_ENABLE_COMPILER           (1)
#define MICROPY_ENABLE_GC                 (1)
#define MICROPY_HELPER_REPL               (0)
#define MICROPY_ENABLE_EXTERNAL_IMPORT    (1)
// Loading native .mpy files: without a file reader, import of a .mpy is a
// SyntaxError.
#define MICROPY_PERSISTENT_CODE_LOAD      (1)
#define MICROPY_HAS_FILE_READER           (1)
#define MICROPY_LONGINT_IMPL              (MICROPY_LONGINT_IMPL_MPZ)
#define MICROPY_FLOAT_IMPL                (MICROPY_FLOAT_IMPL_FLOAT)
#define MICROPY_ERROR_REPORTING           (MICROPY_ERROR_REPORTING_NORMAL)
#define MICROPY_ENABLE_SOURCE_LINE        (1)
#define MICROPY_STACK_CHECK               (1)
#define MICROPY_PY_SYS_STDFILES           (1)
#define MICROPY_PY_SYS_EXIT               (1)
#define MICROPY_PY_ERRNO                  (1)
#define MICROPY_PY_IO                     (1)
#define MICROPY_PY_IO_IOBASE              (1)
#define MICROPY_PY_STRUCT                 (1)
#define MICROPY_PY_GC                     (1)
#define MICROPY_PY_MICROPYTHON_MEM_INFO   (1)
#define MICROPY_PY_BUILTINS_BYTEARRAY     (1)
#define MICROPY_PY_BUILTINS_MEMORYVIEW    (1)
#define MICROPY_PY_BUILTINS_SLICE_ATTRS   (1)
#define MICROPY_PY_BUILTINS_STR_UNICODE   (1)
#define MICROPY_PY_ARRAY                  (1)
#define MICROPY_PY_ARRAY_SLICE_ASSIGN     (1)
#define MICROPY_PY_BUILTINS_BYTES_HEX     (1)
#define MICROPY_PY_BUILTINS_PROPERTY      (1)
#define MICROPY_PY_COLLECTIONS            (1)
#define MICROPY_PY_SYS_PLATFORM           "qemu"
#define MICROPY_HW_BOARD_NAME             BOARD_NAME
#define MICROPY_HW_MCU_NAME               BOARD_MCU

// The native code emitter for this CPU: it sets the .mpy architecture the
// loader accepts (armv6m..armv7emsp on Cortex-M, rv32imc on RISC-V).
#if defined(__riscv)
#define MICROPY_EMIT_RV32                 (1)
#define MICROPY_EMIT_INLINE_RV32          (1)
#else
#define MICROPY_EMIT_THUMB                (1)
#define MICROPY_EMIT_INLINE_THUMB         (1)
// Thumb code is entered at odd addresses.
#define MICROPY_MAKE_POINTER_CALLABLE(p)  ((void *)((mp_uint_t)(p) | 1))
#endif

#define MICROPY_ALLOC_PATH_MAX            (128)
#define MP_SSIZE_MAX                      (0x7fffffff)
typedef long mp_off_t;

#define MICROPY_EVENT_POLL_HOOK           board_idle();
void board_idle(void);

#define MP_STATE_PORT MP_STATE_VM
