/*
 * FuzzFarm export runtime: the support code every exported program carries (machine.md §1, issue 8).
 *
 * The exporter prepends FF_STEPS, FF_SLOTS and the step tables (ff_step_line, ff_step_thread), then appends the
 * bindings, the expectations, one function per program thread and main(), which passes the features it needs.
 * Lines run one at a time in program order: a shared sequence counter (MAP_SHARED, futex) holds the number of the
 * step allowed to run, so the interleaving is exactly the program's whatever processes and threads execute it.
 * A watcher process (this main) owns the counter, reports stalls and reaps everything.
 *
 * Output, one line per event, written with one write(2) so processes never interleave inside a line:
 *   BEGIN kernel=<release> steps=<n>
 *   SKIP feature=<name> reason="..."          the kernel refuses a feature the program needs; nothing ran
 *   OBS line=<l> thread=<t> op=<op> ok words=<n> [got=<hex> when n is 1]
 *   OBS line=<l> thread=<t> op=<op> violation kind=<kind> word=<i> got=<hex> want=<hex> bad=<n> words=<n>
 *   BLOCKED line=<l> thread=<t> / UNBLOCKED …  a write the model says waits forever (its own thread serves its
 *                                              fault, as the program asked): still waiting at the end, or not
 *   STALL line=<l> thread=<t> step=<k>        a step did not start within FF_STALL_MS
 *   ERROR line=<l> thread=<t> op=<op> ...     a system call failed: the export or the kernel broke the program
 *   FAULT line=<l> thread=<t> signal=<n>
 *   END rc=<rc>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef UFFD_FEATURE_WP_HUGETLBFS_SHMEM
#define UFFD_FEATURE_WP_HUGETLBFS_SHMEM (1 << 12)
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define FF_F_HUGETLB 1u
#define FF_F_THP 2u
#define FF_F_UFFD 4u
#define FF_F_IOURING 8u
#define FF_F_ODIRECT 16u
#define FF_F_SOFTDIRTY 32u
#define FF_F_SWAP 64u

#define FF_HUGE (2ul << 20)
#define FF_PAGE 4096ul
#define FF_STALL_MS 10000
#define FF_SERVE_MS 5000

struct ff_ctl {
    uint32_t seq;              /* the step allowed to run */
    uint32_t aborted;
    uint32_t done[FF_STEPS];   /* set when a step's (possibly blocked) write completed */
    int32_t pid[FF_SLOTS];     /* by thread slot: its process, for clear_refs and process_vm_readv */
    int32_t exit_pid;          /* a process that runs exit(): the watcher ends its step once the process is gone */
};

static struct ff_ctl *ff;
static __thread int ff_line;
static __thread const char *ff_thread = "watcher";

static void ff_print(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if (n > (int)sizeof buf - 2) {
        n = (int)sizeof buf - 2;
    }
    buf[n++] = '\n';
    ssize_t w = write(1, buf, (size_t)n);
    (void)w;
}

static void ff_futex_wait(uint32_t *addr, uint32_t val, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    syscall(SYS_futex, addr, FUTEX_WAIT, val, &ts, NULL, 0);
}

static void ff_futex_wake(uint32_t *addr)
{
    syscall(SYS_futex, addr, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
}

/* A failed system call ends the run: the program no longer means what the source says. */
static void ff_fail(const char *op, const char *what)
{
    ff_print("ERROR line=%d thread=%s op=%s %s errno=%d (%s)", ff_line, ff_thread, op, what, errno, strerror(errno));
    __atomic_store_n(&ff->aborted, 1, __ATOMIC_SEQ_CST);
    kill(0, SIGKILL);
    _exit(5);
}

/* A call the reference model expects to fail with `want` after its partial effect: an mprotect or madvise over a
   hole (ENOMEM), an munmap or mprotect that would split a hugetlb mapping off its 2M grid (EINVAL). */
static void ff_expect_errno(int ret, int want, const char *op, const char *what)
{
    if (ret == 0 || errno != want) {
        if (ret == 0) {
            errno = 0;
        }
        ff_fail(op, what);
    }
}

static void ff_on_signal(int sig)
{
    ff_print("FAULT line=%d thread=%s signal=%d", ff_line, ff_thread, sig);
    __atomic_store_n(&ff->aborted, 1, __ATOMIC_SEQ_CST);
    kill(0, SIGKILL);
    _exit(6);
}

static void ff_begin(uint32_t step, int line, const char *thread)
{
    ff_thread = thread;
    for (;;) {
        uint32_t cur = __atomic_load_n(&ff->seq, __ATOMIC_ACQUIRE);
        if (cur == step) {
            break;
        }
        ff_futex_wait(&ff->seq, cur, 100);
    }
    ff_line = line;
}

static void ff_end(uint32_t step)
{
    __atomic_store_n(&ff->done[step], 1, __ATOMIC_RELEASE);
    __atomic_store_n(&ff->seq, step + 1, __ATOMIC_RELEASE);
    ff_futex_wake(&ff->seq);
}

/* The step of a write the reference model expects to block: others may run while it waits. */
static void ff_release(uint32_t step)
{
    __atomic_store_n(&ff->seq, step + 1, __ATOMIC_RELEASE);
    ff_futex_wake(&ff->seq);
}

static void ff_blocked_done(uint32_t step)
{
    __atomic_store_n(&ff->done[step], 1, __ATOMIC_RELEASE);
    ff_futex_wake(&ff->done[step]);
}

/* A process's first thread keeps the process (and its mappings) alive until the whole program ran. */
static void ff_finish_process(void)
{
    for (;;) {
        uint32_t cur = __atomic_load_n(&ff->seq, __ATOMIC_ACQUIRE);
        if (cur >= FF_STEPS) {
            break;
        }
        ff_futex_wait(&ff->seq, cur, 100);
    }
    for (;;) {
        pause();  /* the watcher kills the process group once it has read every result */
    }
}

static void ff_process_start(int thread_index)
{
    ff->pid[thread_index] = getpid();
    prctl(0x59616d61 /* PR_SET_PTRACER */, (unsigned long)-1, 0, 0, 0);  /* harmless without Yama */
}

/* exit() ends its step only when the process has released its memory, or the next line could still see its
   mappings: the watcher waits on a pidfd and then advances the sequence. */
static void ff_exit_process(void)
{
    __atomic_store_n(&ff->exit_pid, getpid(), __ATOMIC_RELEASE);
    syscall(SYS_exit_group, 0);
}

/* ---- memory ---- */

/* Mappings are placed on a 2 MiB boundary, as the simulated machine places them, so THP can back them. */
static char *ff_mmap(size_t len, int prot, int shared, int populate, int hugetlb)
{
    int flags = MAP_ANONYMOUS | (shared ? MAP_SHARED : MAP_PRIVATE) | (populate ? MAP_POPULATE : 0);
    if (hugetlb) {
        char *p = mmap(NULL, len, prot, flags | MAP_HUGETLB, -1, 0);
        if (p == MAP_FAILED) {
            ff_fail("mmap", "hugetlb");
        }
        return p;
    }
    char *raw = mmap(NULL, len + FF_HUGE, prot, flags, -1, 0);
    if (raw == MAP_FAILED) {
        ff_fail("mmap", "anonymous");
    }
    char *p = (char *)(((uintptr_t)raw + FF_HUGE - 1) & ~(FF_HUGE - 1));
    if (p > raw && munmap(raw, (size_t)(p - raw)) != 0) {
        ff_fail("mmap", "trim head");
    }
    size_t tail = (size_t)(raw + len + FF_HUGE - (p + len));
    if (tail > 0 && munmap(p + len, tail) != 0) {
        ff_fail("mmap", "trim tail");
    }
    return p;
}

static void ff_store(char *addr, uint64_t token)
{
    *(volatile uint64_t *)addr = token;
}

static void ff_memset(char *addr, size_t words, uint64_t first_token)
{
    volatile uint64_t *w = (volatile uint64_t *)addr;
    for (size_t i = 0; i < words; i++) {
        w[i] = first_token + i;
    }
}

/* ---- observations ---- */

/* Word i of an observation run [first, first+count) holds base + (i-first)*step. */
struct ff_run {
    uint32_t first, count;
    uint64_t base;
    uint32_t step;
};

struct ff_expect {
    uint32_t words;
    uint32_t nwant, nhist;
    const struct ff_run *want;  /* acceptable values (several runs may cover a word: any of them) */
    const struct ff_run *hist;  /* the observer's own history at each word */
};

static int ff_in_runs(const struct ff_run *runs, uint32_t n, uint32_t word, uint64_t value, uint64_t *first_match)
{
    int covered = 0;
    for (uint32_t r = 0; r < n; r++) {
        if (word < runs[r].first || word >= runs[r].first + runs[r].count) {
            continue;
        }
        uint64_t v = runs[r].base + (uint64_t)(word - runs[r].first) * runs[r].step;
        if (!covered && first_match) {
            *first_match = v;
        }
        covered = 1;
        if (v == value) {
            return 1;
        }
    }
    return 0;
}

/* The oracle's check (machine.md §3): a value outside the observer's history is cross-process-visibility,
   an older value of its own history is lost-write. */
static void ff_observe(const char *op, const uint64_t *got, uint32_t n, const struct ff_expect *e)
{
    if (n != e->words) {
        ff_print("ERROR line=%d thread=%s op=%s observed %u words, the reference model expects %u", ff_line, ff_thread,
                 op, n, e->words);
        __atomic_store_n(&ff->aborted, 1, __ATOMIC_SEQ_CST);
        kill(0, SIGKILL);
        _exit(5);
    }
    uint32_t bad = 0, first_bad = 0;
    uint64_t want_first = 0;
    const char *kind = NULL;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t want = 0;
        if (ff_in_runs(e->want, e->nwant, i, got[i], &want)) {
            continue;
        }
        if (bad++ == 0) {
            first_bad = i;
            want_first = want;
            kind = ff_in_runs(e->hist, e->nhist, i, got[i], NULL) ? "lost-write" : "cross-process-visibility";
        }
    }
    if (bad == 0 && n == 1) {
        ff_print("OBS line=%d thread=%s op=%s ok words=1 got=0x%llx", ff_line, ff_thread, op, (unsigned long long)got[0]);
    } else if (bad == 0) {
        ff_print("OBS line=%d thread=%s op=%s ok words=%u", ff_line, ff_thread, op, n);
    } else {
        ff_print("OBS line=%d thread=%s op=%s violation kind=%s word=%u got=0x%llx want=0x%llx bad=%u words=%u", ff_line,
                 ff_thread, op, kind, first_bad, (unsigned long long)got[first_bad], (unsigned long long)want_first, bad,
                 n);
    }
}

static void ff_load(char *addr, const struct ff_expect *e)
{
    uint64_t v = *(volatile uint64_t *)addr;
    ff_observe("load", &v, 1, e);
}

/* ---- pipes and vmsplice ---- */

static void ff_pipe(int fds[2], size_t capacity)
{
    if (pipe2(fds, O_CLOEXEC) != 0) {
        ff_fail("pipe", "pipe2");
    }
    /* A full pipe would block vmsplice; the exporter sized it for every page the program splices into it. */
    if (capacity > 65536 && fcntl(fds[1], F_SETPIPE_SZ, (int)capacity) < 0) {
        ff_fail("pipe", "F_SETPIPE_SZ");
    }
    if (fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
        ff_fail("pipe", "O_NONBLOCK");
    }
}

/* Splices [addr, addr+len). A hole at addr+mapped (mapped < len) stops the kernel's GUP there: the calls splice the
   bytes before it, and the one that starts at the hole fails with EFAULT. */
static void ff_vmsplice(int fds[2], char *addr, size_t len, size_t mapped)
{
    struct iovec iov = {addr, len};
    while (iov.iov_len > len - mapped) {
        ssize_t n = vmsplice(fds[1], &iov, 1, SPLICE_F_NONBLOCK);
        if (n <= 0 || (size_t)n > iov.iov_len - (len - mapped)) {
            ff_fail("vmsplice", n <= 0 ? "vmsplice" : "vmsplice past the hole the reference model expects");
        }
        iov.iov_base = (char *)iov.iov_base + n;
        iov.iov_len -= (size_t)n;
    }
    if (iov.iov_len > 0 && (vmsplice(fds[1], &iov, 1, SPLICE_F_NONBLOCK) != -1 || errno != EFAULT)) {
        ff_fail("vmsplice", "vmsplice at a hole (EFAULT expected)");
    }
}

static void ff_pipe_read(int fds[2], size_t len, const struct ff_expect *e)
{
    uint64_t *buf = calloc(len / 8 + 1, 8);
    size_t have = 0;
    while (have < len) {
        ssize_t n = read(fds[0], (char *)buf + have, len - have);
        if (n < 0 && errno == EAGAIN) {
            break;  /* the pipe is drained */
        }
        if (n <= 0) {
            if (n == 0) {
                break;
            }
            ff_fail("read", "pipe read");
        }
        have += (size_t)n;
    }
    ff_observe("read", buf, (uint32_t)(have / 8), e);
    free(buf);
}

/* ---- pins: io_uring fixed buffers (FOLL_PIN | FOLL_LONGTERM), the device is io_uring's fixed read/write ---- */

struct ff_ring {
    int fd;
    unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
    struct io_uring_sqe *sqes;
    struct io_uring_cqe *cqes;
};

struct ff_pin {
    struct ff_ring ring;
    int scratch;  /* memfd the device moves words through */
    char *base;
};

static int ff_ring_init(struct ff_ring *r)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    r->fd = (int)syscall(__NR_io_uring_setup, 4, &p);
    if (r->fd < 0) {
        return -1;
    }
    size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (p.features & IORING_FEAT_SINGLE_MMAP) {
        sq_size = cq_size = sq_size > cq_size ? sq_size : cq_size;
    }
    char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
    if (sq == MAP_FAILED) {
        return -1;
    }
    char *cq = sq;
    if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
        cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
        if (cq == MAP_FAILED) {
            return -1;
        }
    }
    r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                   r->fd, IORING_OFF_SQES);
    if (r->sqes == MAP_FAILED) {
        return -1;
    }
    r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
    r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
    r->sq_array = (unsigned *)(sq + p.sq_off.array);
    r->cq_head = (unsigned *)(cq + p.cq_off.head);
    r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
    r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
    r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
    return 0;
}

static int ff_ring_io(struct ff_ring *r, int opcode, int fd, void *addr, unsigned len, uint64_t off)
{
    unsigned tail = *r->sq_tail;
    unsigned idx = tail & *r->sq_mask;
    struct io_uring_sqe *sqe = &r->sqes[idx];
    memset(sqe, 0, sizeof *sqe);
    sqe->opcode = (uint8_t)opcode;
    sqe->fd = fd;
    sqe->addr = (uint64_t)(uintptr_t)addr;
    sqe->len = len;
    sqe->off = off;
    sqe->buf_index = 0;
    r->sq_array[idx] = idx;
    __atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
    if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
        return -errno;
    }
    unsigned head = *r->cq_head;
    while (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
        if (syscall(__NR_io_uring_enter, r->fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
            return -errno;
        }
    }
    int res = r->cqes[head & *r->cq_mask].res;
    __atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
    return res;
}

static void ff_pin(struct ff_pin *pin, char *addr, size_t len)
{
    if (ff_ring_init(&pin->ring) != 0) {
        ff_fail("pin", "io_uring_setup");
    }
    struct iovec iov = {addr, len};
    if (syscall(__NR_io_uring_register, pin->ring.fd, IORING_REGISTER_BUFFERS, &iov, 1) != 0) {
        ff_fail("pin", "IORING_REGISTER_BUFFERS");
    }
    pin->scratch = (int)syscall(SYS_memfd_create, "ff-device", 0);
    if (pin->scratch < 0 || ftruncate(pin->scratch, 16) != 0) {
        ff_fail("pin", "memfd");
    }
    pin->base = addr;
}

static void ff_unpin(struct ff_pin *pin)
{
    if (syscall(__NR_io_uring_register, pin->ring.fd, IORING_UNREGISTER_BUFFERS, NULL, 0) != 0) {
        ff_fail("unpin", "IORING_UNREGISTER_BUFFERS");
    }
    close(pin->ring.fd);
    close(pin->scratch);
}

/* The device writes: READ_FIXED copies the word from the scratch file into the pinned pages. */
static void ff_dma_write(struct ff_pin *pin, size_t offset, uint64_t token)
{
    if (pwrite(pin->scratch, &token, 8, 0) != 8) {
        ff_fail("dma_write", "scratch pwrite");
    }
    int res = ff_ring_io(&pin->ring, IORING_OP_READ_FIXED, pin->scratch, pin->base + offset, 8, 0);
    if (res != 8) {
        errno = res < 0 ? -res : EIO;
        ff_fail("dma_write", "IORING_OP_READ_FIXED");
    }
}

/* The device reads: WRITE_FIXED copies the word from the pinned pages into the scratch file. */
static void ff_dma_read(struct ff_pin *pin, size_t offset, const struct ff_expect *e)
{
    int res = ff_ring_io(&pin->ring, IORING_OP_WRITE_FIXED, pin->scratch, pin->base + offset, 8, 8);
    uint64_t v = 0;
    if (res != 8 || pread(pin->scratch, &v, 8, 8) != 8) {
        errno = res < 0 ? -res : EIO;
        ff_fail("dma_read", "IORING_OP_WRITE_FIXED");
    }
    ff_observe("dma_read", &v, 1, e);
}

/* ---- files: O_DIRECT reads pin the buffer, buffered writes read it ---- */

struct ff_file {
    int direct, buffered;
};

static void ff_file(struct ff_file *f, size_t len, uint64_t first_token)
{
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/ff-export-XXXXXX", dir && *dir ? dir : "/tmp");
    f->buffered = mkstemp(path);
    if (f->buffered < 0) {
        ff_fail("file", "mkstemp");
    }
    f->direct = open(path, O_RDWR | O_DIRECT);
    unlink(path);
    if (f->direct < 0) {
        ff_fail("file", "open O_DIRECT");
    }
    uint64_t *words = malloc(len);
    for (size_t i = 0; i < len / 8; i++) {
        words[i] = first_token + i;
    }
    if (pwrite(f->buffered, words, len, 0) != (ssize_t)len || fsync(f->buffered) != 0) {
        ff_fail("file", "fill");
    }
    free(words);
}

static void ff_pread_direct(struct ff_file *f, size_t foff, char *addr, size_t len)
{
    if (pread(f->direct, addr, len, (off_t)foff) != (ssize_t)len) {
        ff_fail("pread_direct", "pread O_DIRECT");
    }
}

static void ff_write(struct ff_file *f, size_t foff, char *addr, size_t len)
{
    if (pwrite(f->buffered, addr, len, (off_t)foff) != (ssize_t)len) {
        ff_fail("write", "pwrite");
    }
}

/* ---- remote reads, soft-dirty ---- */

static void ff_process_vm_readv(int thread_index, char *addr, size_t len, const struct ff_expect *e)
{
    uint64_t *buf = calloc(len / 8 + 1, 8);
    struct iovec local = {buf, len}, remote = {addr, len};
    if (process_vm_readv(ff->pid[thread_index], &local, 1, &remote, 1, 0) != (ssize_t)len) {
        ff_fail("process_vm_readv", "process_vm_readv");
    }
    ff_observe("process_vm_readv", buf, (uint32_t)(len / 8), e);
    free(buf);
}

static void ff_clear_refs(int thread_index)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/clear_refs", ff->pid[thread_index]);
    int fd = open(path, O_WRONLY);
    if (fd < 0 || write(fd, "4", 1) != 1) {
        ff_fail("clear_refs", path);
    }
    close(fd);
}

static int ff_soft_dirty_bit(char *addr)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    uint64_t entry = 0;
    if (fd < 0 || pread(fd, &entry, 8, (off_t)((uintptr_t)addr / FF_PAGE * 8)) != 8) {
        ff_fail("pagemap", "/proc/self/pagemap");
    }
    close(fd);
    return (int)((entry >> 55) & 1);
}

/* A page written since the last clear_refs must read soft-dirty; a 1 without a write is allowed. */
static void ff_pagemap(char *addr, int must_be_dirty)
{
    int bit = ff_soft_dirty_bit(addr);
    if (must_be_dirty && !bit) {
        ff_print("OBS line=%d thread=%s op=pagemap violation kind=lost-write word=0 got=0x0 want=0x1 bad=1 words=1",
                 ff_line, ff_thread);
    } else {
        ff_print("OBS line=%d thread=%s op=pagemap ok words=1", ff_line, ff_thread);
    }
}

/* ---- userfaultfd write-protect ---- */

static int ff_uffd_open(void)
{
    int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return -1;
    }
    /* Not WP_UNPOPULATED: as in the kernel's default (and the machine), protection applies to pages faulted in;
       the exporter only protects those. WP_HUGETLBFS_SHMEM: shared and hugetlb mappings can be protected too. */
    struct uffdio_api api = {.api = UFFD_API,
                             .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP | UFFD_FEATURE_WP_HUGETLBFS_SHMEM};
    if (ioctl(fd, UFFDIO_API, &api) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int ff_uffd(void)
{
    int fd = ff_uffd_open();
    if (fd < 0) {
        ff_fail("uffd", "userfaultfd");
    }
    return fd;
}

static void ff_uffd_register(int fd, char *addr, size_t len)
{
    struct uffdio_register reg = {.range = {(uintptr_t)addr, len}, .mode = UFFDIO_REGISTER_MODE_WP};
    if (ioctl(fd, UFFDIO_REGISTER, &reg) != 0) {
        ff_fail("uffd_register", "UFFDIO_REGISTER");
    }
}

static void ff_uffd_wp(int fd, char *addr, size_t len, int on)
{
    struct uffdio_writeprotect wp = {.range = {(uintptr_t)addr, len}, .mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0};
    if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp) != 0) {
        ff_fail("uffd_wp", "UFFDIO_WRITEPROTECT");
    }
}

/* Serve the faults of the writes the model says are pending, then wait until each of them has completed,
   so the next line sees their data whatever the scheduler does. */
static void ff_uffd_resolve(int fd, const uint32_t *pending_steps, int n)
{
    for (int i = 0; i < n; i++) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, FF_SERVE_MS) <= 0) {
            ff_print("STALL line=%d thread=%s uffd fault %d of %d never arrived", ff_line, ff_thread, i + 1, n);
            continue;
        }
        struct uffd_msg msg;
        if (read(fd, &msg, sizeof msg) != (ssize_t)sizeof msg) {
            ff_fail("uffd_resolve", "read uffd_msg");
        }
        if (msg.event != UFFD_EVENT_PAGEFAULT) {
            continue;
        }
        uint64_t page = msg.arg.pagefault.address & ~(uint64_t)(FF_PAGE - 1);
        ff_uffd_wp(fd, (char *)(uintptr_t)page, FF_PAGE, 0);
    }
    for (int i = 0; i < n; i++) {
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        while (!__atomic_load_n(&ff->done[pending_steps[i]], __ATOMIC_ACQUIRE)) {
            ff_futex_wait(&ff->done[pending_steps[i]], 0, 50);
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 > FF_SERVE_MS) {
                ff_print("STALL line=%d thread=%s a served write did not complete", ff_line, ff_thread);
                break;
            }
        }
    }
}

/* ---- features: refuse to run (SKIP) rather than run something that does not mean what the program says ---- */

static void ff_skip(const char *feature, const char *reason)
{
    ff_print("SKIP feature=%s reason=\"%s\"", feature, reason);
    ff_print("END rc=0");
    exit(0);
}

static int ff_file_contains(const char *path, const char *needle)
{
    char buf[4096];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        return 0;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) {
        return 0;
    }
    buf[n] = 0;
    return strstr(buf, needle) != NULL;
}

static void ff_check_features(unsigned needs)
{
    if (needs & FF_F_HUGETLB) {
        char *p = mmap(NULL, FF_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
        if (p == MAP_FAILED) {
            ff_skip("hugetlb", "no free 2 MiB hugetlb page (vm.nr_hugepages)");
        }
        munmap(p, FF_HUGE);
    }
    if ((needs & FF_F_THP) && ff_file_contains("/sys/kernel/mm/transparent_hugepage/enabled", "[never]")) {
        ff_skip("thp", "transparent_hugepage/enabled is never");
    }
    if (needs & FF_F_UFFD) {
        int fd = ff_uffd_open();
        if (fd < 0) {
            ff_skip("userfaultfd-wp", "userfaultfd with PAGEFAULT_FLAG_WP|WP_HUGETLBFS_SHMEM refused");
        }
        close(fd);
    }
    if (needs & FF_F_IOURING) {
        struct ff_ring r;
        if (ff_ring_init(&r) != 0) {
            ff_skip("io_uring", "io_uring_setup refused (kernel.io_uring_disabled?)");
        }
        close(r.fd);
    }
    if (needs & FF_F_ODIRECT) {
        const char *dir = getenv("TMPDIR");
        char path[512];
        snprintf(path, sizeof path, "%s/ff-probe-XXXXXX", dir && *dir ? dir : "/tmp");
        int fd = mkstemp(path);
        int d = fd < 0 ? -1 : open(path, O_RDWR | O_DIRECT);
        if (fd >= 0) {
            unlink(path);
            close(fd);
        }
        if (d < 0) {
            ff_skip("o_direct", "the temporary directory refuses O_DIRECT");
        }
        close(d);
    }
    if (needs & FF_F_SOFTDIRTY) {
        /* Without CONFIG_MEM_SOFT_DIRTY clear_refs "4" does nothing and pagemap never reports bit 55. */
        char *p = mmap(NULL, FF_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        int fd = open("/proc/self/pagemap", O_RDONLY);
        uint64_t entry = 0;
        if (p != MAP_FAILED) {
            p[0] = 1;
        }
        if (p == MAP_FAILED || fd < 0 || pread(fd, &entry, 8, (off_t)((uintptr_t)p / FF_PAGE * 8)) != 8 ||
            !((entry >> 55) & 1)) {
            ff_skip("soft-dirty", "pagemap reports no soft-dirty bit (CONFIG_MEM_SOFT_DIRTY off?)");
        }
        close(fd);
        munmap(p, FF_PAGE);
    }
    if ((needs & FF_F_SWAP) && !ff_file_contains("/proc/swaps", "/")) {
        ff_skip("swap", "no swap device: MADV_PAGEOUT cannot swap anonymous pages out");
    }
}

/* ---- the watcher ---- */

static void ff_reap_exit(void)
{
    pid_t pid = __atomic_load_n(&ff->exit_pid, __ATOMIC_ACQUIRE);
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd >= 0) {
        struct pollfd p = {pfd, POLLIN, 0};
        if (poll(&p, 1, FF_STALL_MS) <= 0) {
            ff_print("STALL line=%d thread=%s exit did not finish", ff_step_line[ff->seq], ff_step_thread[ff->seq]);
        }
        close(pfd);
    }
    __atomic_store_n(&ff->exit_pid, 0, __ATOMIC_RELEASE);
    ff_end(__atomic_load_n(&ff->seq, __ATOMIC_ACQUIRE));
}

static long ff_ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static int ff_main(void (*t0)(void), unsigned needs, const uint32_t *hang_steps, int nhang)
{
    struct utsname u;
    uname(&u);
    ff_check_features(needs);
    ff = mmap(NULL, sizeof *ff, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (ff == MAP_FAILED) {
        perror("mmap control block");
        return 5;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    ff_print("BEGIN kernel=%s steps=%d", u.release, FF_STEPS);
    pid_t p0 = fork();
    if (p0 == 0) {
        setpgid(0, 0);
        signal(SIGSEGV, ff_on_signal);
        signal(SIGBUS, ff_on_signal);
        ff_process_start(0);
        t0();
        ff_finish_process();
    }
    setpgid(p0, p0);
    int rc = 0;
    uint32_t last = 0;
    struct timespec since;
    clock_gettime(CLOCK_MONOTONIC, &since);
    for (;;) {
        uint32_t cur = __atomic_load_n(&ff->seq, __ATOMIC_ACQUIRE);
        if (__atomic_load_n(&ff->aborted, __ATOMIC_ACQUIRE)) {
            rc = 4;
            break;
        }
        if (cur >= FF_STEPS) {
            break;
        }
        if (__atomic_load_n(&ff->exit_pid, __ATOMIC_ACQUIRE) != 0) {
            ff_reap_exit();
            continue;
        }
        if (cur != last) {
            last = cur;
            clock_gettime(CLOCK_MONOTONIC, &since);
        } else if (ff_ms_since(&since) > FF_STALL_MS) {
            ff_print("STALL line=%d thread=%s step=%u", ff_step_line[cur], ff_step_thread[cur], cur);
            rc = 3;
            break;
        }
        ff_futex_wait(&ff->seq, cur, 10);
    }
    if (rc == 0 && nhang > 0) {
        usleep(100 * 1000);  /* a write that was going to complete has had ample time */
        for (int i = 0; i < nhang; i++) {
            uint32_t s = hang_steps[i];
            ff_print("%s line=%d thread=%s", __atomic_load_n(&ff->done[s], __ATOMIC_ACQUIRE) ? "UNBLOCKED" : "BLOCKED",
                     ff_step_line[s], ff_step_thread[s]);
        }
    }
    kill(-p0, SIGKILL);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
    }
    ff_print("END rc=%d", rc);
    return rc;
}
