// Where the host's -device loader puts the file blob (mkfs.py); outside the
// firmware's own RAM on every board.
#if defined(__riscv)
#define BOARDFS_ADDR 0x80c00000
#else
#define BOARDFS_ADDR 0x21000000
#endif
