// LD_PRELOAD shim for Debian bookworm's user-mode-linux (6.1) on hosts whose XSAVE area is larger than
// UML's fixed 832-byte buffer (CPUs with AVX-512/AMX). UML reads a guest process's FPU state with
// PTRACE_GETREGSET NT_X86_XSTATE into that buffer (the host truncates, fine) and writes it back with
// PTRACE_SETREGSET, which the host refuses with EFAULT unless the buffer is the full XSAVE size: the
// guest's init dies ("ptrace set fp regs failed, errno = 14"). Fixed in later UML kernels; here the shim
// widens each short SETREGSET: it reads the process's current full state, lays UML's bytes over the
// start of it and writes the full buffer.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static size_t full_size;  // the host's XSAVE size for ptrace, probed once
static char *full_buf;

static long raw_ptrace(long req, long pid, void *addr, void *data) {
  return syscall(SYS_ptrace, req, pid, addr, data);
}

long ptrace(enum __ptrace_request request, ...) {
  va_list ap;
  va_start(ap, request);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  if (request == PTRACE_SETREGSET && (long)addr == NT_X86_XSTATE && data) {
    struct iovec *iov = data;
    if (!full_size) {
      static char probe[1 << 16];
      struct iovec p = {probe, sizeof probe};
      if (raw_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &p) == 0) {
        full_size = p.iov_len;
        full_buf = malloc(full_size);
      }
    }
    if (full_buf && iov->iov_len < full_size) {
      struct iovec f = {full_buf, full_size};
      if (raw_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &f) != 0) return -1;
      memcpy(full_buf, iov->iov_base, iov->iov_len);
      return raw_ptrace(PTRACE_SETREGSET, pid, addr, &f);
    }
  }
  static long (*real)(enum __ptrace_request, ...);
  if (!real) real = (long (*)(enum __ptrace_request, ...))dlsym(RTLD_NEXT, "ptrace");
  return real(request, pid, addr, data);
}
