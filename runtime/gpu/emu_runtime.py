"""The grid emulator's native runtime: the LLVM IR linked into every emulated kernel module.

It owns what a GPU provides around a kernel: the special registers (`tid`, `ntid`, `ctaid`,
`nctaid`, `laneid`), the grid loops, and — for kernels that synchronise — one fiber (a
`ucontext` with its own stack) per GPU thread of a block. A fiber that reaches a barrier or a
warp shuffle records what it waits for and yields to the scheduler (`_setjmp`/`_longjmp`; a fiber
starts once through `makecontext`/`setcontext`). After each round `__emu_settle` lets the common
cases go on natively (every thread of the block at the same barrier; every lane of a whole warp
at the same full-mask shuffle); anything else goes to the Python side (`emulator._resolve`),
which handles partial masks or says why no one can go on (a diverging barrier: an error, never
a hang). Blocks run one after another, so the block's `addrspace(3)` globals are the per-block
shared memory; they are filled with a poison byte at the start of each block.

Traps (`llvm.trap`, a barrier reached in loop mode, a bad shuffle) record an error code and
leave the kernel: a fiber switches back to the scheduler and is never resumed; in loop mode
`longjmp` returns to the launch. Nothing here can end the process.

The launch descriptor `L` is an array of i64 filled by Python (`LAUNCH_FIELDS` gives the slots).
"""

# Slots of the launch descriptor (an int64 array).
LAUNCH_FIELDS = (
    "grid_x", "grid_y", "grid_z", "block_x", "block_y", "block_z",
    "params",        # void** kernel parameters (as cuLaunchKernel's kernelParams)
    "shared_list",   # int64[2*n]: (address, size) of each shared-memory global
    "n_shared",
    "contexts",      # ucontext_t storage, one per thread of a block
    "context_size",
    "stacks",        # fiber stacks: thread t's usable stack starts at stacks + t*stack_stride
    "stack_size",
    "state",         # int32[nthreads] (STATE_*)
    "records",       # int32[nthreads*8]: what a waiting fiber waits for (RECORD_*)
    "errors",        # int64[8]: code, block, thread, detail
    "scheduler",     # the scheduler's ucontext_t
    "nthreads",
    "block",         # linear index of the block being run (fiber mode)
    "poison",        # the byte shared memory is filled with
    "stack_stride",
    "jmpbufs",       # a jmp_buf (JMPBUF_BYTES) per thread: where a waiting fiber resumes
    "fresh",         # 1: the contexts were never initialised (getcontext before makecontext)
)
JMPBUF_BYTES = 512
SLOT = {name: i for i, name in enumerate(LAUNCH_FIELDS)}

STATE_RUNNABLE, STATE_EXITED, STATE_BARRIER, STATE_SHUFFLE, STATE_TRAPPED = range(5)
# A waiting fiber's record: barrier (site, id); shuffle (mode, mask, value, b, c, result).
REC_MODE, REC_MASK, REC_VALUE, REC_B, REC_C, REC_RESULT = range(6)
REC_STARTED = 7  # (set once a fiber has been entered)
REC_SITE, REC_BARRIER_ID = 0, 1
SHFL_UP, SHFL_DOWN, SHFL_BFLY, SHFL_IDX, WARP_SYNC = range(5)

ERR_TRAP, ERR_BARRIER_IN_LOOP, ERR_SHUFFLE_IN_LOOP, ERR_LANE_NOT_IN_MASK = 1, 2, 3, 4
ERR_SIGNAL = 100  # + the signal number: the kernel faulted (detail: the faulting address)
FAULT_SIGNALS = {4: "SIGILL (an illegal instruction)", 7: "SIGBUS (a bus error)",
                 8: "SIGFPE (an integer division by zero or overflow)",
                 11: "SIGSEGV (an access to memory that is not mapped)"}
OLD_ACTION_BYTES = 256
ERROR_TEXT = {
    ERR_TRAP: "the kernel trapped (llvm.trap: an assertion or an unreachable path)",
    ERR_BARRIER_IN_LOOP: "a barrier ran in loop mode (the emulator's barrier scan missed it)",
    ERR_SHUFFLE_IN_LOOP: "a warp shuffle ran in loop mode (the emulator's scan missed it)",
    ERR_LANE_NOT_IN_MASK: "a thread ran shfl.sync with a member mask that does not name its "
                          "own lane (undefined on the GPU)",
}

_SREGS = ("tid", "ntid", "ctaid", "nctaid")


def _slot(name, reg="L"):
    """IR loading slot `name` of the launch descriptor held in %`reg` into %`name`."""
    return (f"  %{name}.p = getelementptr i64, ptr %{reg}, i64 {SLOT[name]}\n"
            f"  %{name} = load i64, ptr %{name}.p\n")


def _ptr_slot(name, reg="L"):
    return _slot(name, reg) + f"  %{name}.ptr = inttoptr i64 %{name} to ptr\n"


def _set_dims(prefix, x, y, z):
    """IR storing three i64 values truncated to i32 into @__emu_<prefix>_{x,y,z}."""
    out = ""
    for axis, value in zip("xyz", (x, y, z)):
        out += (f"  %{prefix}.{axis}.t = trunc i64 {value} to i32\n"
                f"  store i32 %{prefix}.{axis}.t, ptr @__emu_{prefix}_{axis}\n")
    return out


def _decompose(prefix, linear, dx, dy):
    """IR splitting a linear index into x, y, z for extents dx, dy (the z extent is implied)."""
    return (f"  %{prefix}.x = urem i64 {linear}, {dx}\n"
            f"  %{prefix}.q = udiv i64 {linear}, {dx}\n"
            f"  %{prefix}.y = urem i64 %{prefix}.q, {dy}\n"
            f"  %{prefix}.z = udiv i64 %{prefix}.q, {dy}\n")


def _poison_shared():
    return (_ptr_slot("shared_list") + _slot("n_shared") + _slot("poison") +
            "  %poison.b = trunc i64 %poison to i32\n"
            "  br label %sh.head\n"
            "sh.head:\n"
            "  %sh.i = phi i64 [0, %sh.entry], [%sh.next, %sh.body]\n"
            "  %sh.more = icmp ult i64 %sh.i, %n_shared\n"
            "  br i1 %sh.more, label %sh.body, label %sh.done\n"
            "sh.body:\n"
            "  %sh.k = mul i64 %sh.i, 2\n"
            "  %sh.ap = getelementptr i64, ptr %shared_list.ptr, i64 %sh.k\n"
            "  %sh.a = load i64, ptr %sh.ap\n"
            "  %sh.sp = getelementptr i64, ptr %sh.ap, i64 1\n"
            "  %sh.s = load i64, ptr %sh.sp\n"
            "  %sh.ptr = inttoptr i64 %sh.a to ptr\n"
            "  call ptr @memset(ptr %sh.ptr, i32 %poison.b, i64 %sh.s)\n"
            "  %sh.next = add i64 %sh.i, 1\n"
            "  br label %sh.head\n"
            "sh.done:\n")


def runtime_ir():
    """The runtime module's IR text (target triple and data layout are set by the caller)."""
    g = []
    for reg in _SREGS:
        for axis in "xyz":
            g.append(f"@__emu_{reg}_{axis} = internal global i32 0\n")
            g.append(f"define i32 @__emu_sreg_{reg}_{axis}() alwaysinline {{\n"
                     f"  %v = load i32, ptr @__emu_{reg}_{axis}\n  ret i32 %v\n}}\n")
    head = "".join(g) + """
@__emu_L = internal global ptr null
@__emu_fiber = internal global i32 0
@__emu_cur = internal global i64 0
@__emu_blk = internal global i64 0
@__emu_tramp = global ptr null
@__emu_jb = internal global [128 x i64] zeroinitializer, align 16

declare i32 @_setjmp(ptr) returns_twice
declare void @longjmp(ptr, i32) noreturn
declare i32 @getcontext(ptr) returns_twice
declare void @makecontext(ptr, ptr, i32, ...)
declare i32 @swapcontext(ptr, ptr) returns_twice
declare i32 @setcontext(ptr)
declare void @_longjmp(ptr, i32) noreturn
@__emu_sched_jb = internal global [128 x i64] zeroinitializer, align 16
declare ptr @memset(ptr, i32, i64)
declare i64 @pthread_self()
declare i32 @sigaction(i32, ptr, ptr)
@__emu_active = internal global i32 0
@__emu_thread = internal global i64 0
@__emu_old_actions = global [2048 x i64] zeroinitializer, align 16

; The kernel thread's fault handler (SIGSEGV, SIGBUS, SIGFPE, SIGILL while a launch runs):
; a fault of the emulator's own thread inside kernel code leaves the kernel like a trap; any
; other fault gets the handler that was there before (restored, then the fault repeats).
define void @__emu_on_fault(i32 %sig, ptr %info, ptr %uctx) {
entry:
  %active = load i32, ptr @__emu_active
  %self = call i64 @pthread_self()
  %owner = load i64, ptr @__emu_thread
  %mine = icmp eq i64 %self, %owner
  %on = icmp ne i32 %active, 0
  %ours = and i1 %on, %mine
  br i1 %ours, label %catch, label %pass
catch:
  %addrp = getelementptr i8, ptr %info, i64 16
  %addr = load i64, ptr %addrp
  %code = add i32 %sig, """ + str(ERR_SIGNAL) + """
  call void @__emu_fail(i32 %code, i64 %addr)
  ret void
pass:
  %sig64 = zext i32 %sig to i64
  %off = mul i64 %sig64, """ + str(OLD_ACTION_BYTES) + """
  %old = getelementptr i8, ptr @__emu_old_actions, i64 %off
  call i32 @sigaction(i32 %sig, ptr %old, ptr null)
  ret void
}

define void @__emu_enter() alwaysinline {
  %self = call i64 @pthread_self()
  store i64 %self, ptr @__emu_thread
  store i32 1, ptr @__emu_active
  ret void
}

define i32 @__emu_sreg_laneid() alwaysinline {
  %x = load i32, ptr @__emu_tid_x
  %y = load i32, ptr @__emu_tid_y
  %z = load i32, ptr @__emu_tid_z
  %nx = load i32, ptr @__emu_ntid_x
  %ny = load i32, ptr @__emu_ntid_y
  %zy = mul i32 %z, %ny
  %zyy = add i32 %zy, %y
  %r = mul i32 %zyy, %nx
  %lin = add i32 %r, %x
  %lane = and i32 %lin, 31
  ret i32 %lane
}

define i32 @__emu_sreg_warpsize() alwaysinline {
  ret i32 32
}

define i32 @__emu_nvvm_reflect(ptr %name) {
  ret i32 0
}

; Record an error and leave the kernel: a fiber goes back to the scheduler for good; loop mode
; jumps back to the launch.
define void @__emu_fail(i32 %code, i64 %detail) noinline {
entry:
  %L = load ptr, ptr @__emu_L
""" + _ptr_slot("errors") + """
  %code64 = zext i32 %code to i64
  store i64 %code64, ptr %errors.ptr
  %blk = load i64, ptr @__emu_blk
  %e1 = getelementptr i64, ptr %errors.ptr, i64 1
  store i64 %blk, ptr %e1
  %cur = load i64, ptr @__emu_cur
  %e2 = getelementptr i64, ptr %errors.ptr, i64 2
  store i64 %cur, ptr %e2
  %e3 = getelementptr i64, ptr %errors.ptr, i64 3
  store i64 %detail, ptr %e3
  %fiber = load i32, ptr @__emu_fiber
  %is_fiber = icmp ne i32 %fiber, 0
  br i1 %is_fiber, label %in_fiber, label %in_loop
in_fiber:
""" + _ptr_slot("state") + f"""
  %sp = getelementptr i32, ptr %state.ptr, i64 %cur
  store i32 {STATE_TRAPPED}, ptr %sp
  call void @_longjmp(ptr @__emu_sched_jb, i32 1)
  unreachable
in_loop:
  call void @longjmp(ptr @__emu_jb, i32 1)
  unreachable
}}

define void @__emu_trap() {{
  call void @__emu_fail(i32 {ERR_TRAP}, i64 0)
  ret void
}}

; Wait (as a fiber) with a record: store the state, switch to the scheduler, come back.
define ptr @__emu_wait(i32 %wait_state, i32 %loop_error, i64 %detail) noinline {{
entry:
  %fiber = load i32, ptr @__emu_fiber
  %is_fiber = icmp ne i32 %fiber, 0
  br i1 %is_fiber, label %ok, label %bad
bad:
  call void @__emu_fail(i32 %loop_error, i64 %detail)
  br label %ok
ok:
  %L = load ptr, ptr @__emu_L
  %cur = load i64, ptr @__emu_cur
""" + _ptr_slot("records") + """
  %roff = mul i64 %cur, 8
  %rec = getelementptr i32, ptr %records.ptr, i64 %roff
  ret ptr %rec
}

; Yield to the scheduler (a _setjmp/_longjmp pair: no system call, unlike swapcontext).
define void @__emu_switch(i32 %new_state) noinline {
entry:
  %L = load ptr, ptr @__emu_L
  %cur = load i64, ptr @__emu_cur
""" + _ptr_slot("state") + _ptr_slot("jmpbufs") + f"""
  %sp = getelementptr i32, ptr %state.ptr, i64 %cur
  store i32 %new_state, ptr %sp
  %off = mul i64 %cur, {JMPBUF_BYTES}
  %jb = getelementptr i8, ptr %jmpbufs.ptr, i64 %off
  %r = call i32 @_setjmp(ptr %jb)
  %leaving = icmp eq i32 %r, 0
  br i1 %leaving, label %leave, label %back
leave:
  call void @_longjmp(ptr @__emu_sched_jb, i32 1)
  unreachable
back:
  ret void
}}

define void @__emu_barrier_id(i32 %id, i32 %site) noinline {{
  %site64 = zext i32 %site to i64
  %rec = call ptr @__emu_wait(i32 {STATE_BARRIER}, i32 {ERR_BARRIER_IN_LOOP}, i64 %site64)
  store i32 %site, ptr %rec
  %r1 = getelementptr i32, ptr %rec, i64 {REC_BARRIER_ID}
  store i32 %id, ptr %r1
  call void @__emu_switch(i32 {STATE_BARRIER})
  ret void
}}

define void @__emu_barrier(i32 %site) {{
  call void @__emu_barrier_id(i32 0, i32 %site)
  ret void
}}

define i32 @__emu_shfl(i32 %mode, i32 %mask, i32 %value, i32 %b, i32 %c) noinline {{
entry:
  %mode64 = zext i32 %mode to i64
  %rec = call ptr @__emu_wait(i32 {STATE_SHUFFLE}, i32 {ERR_SHUFFLE_IN_LOOP}, i64 %mode64)
  %lane = call i32 @__emu_sreg_laneid()
  %bit = shl i32 1, %lane
  %has = and i32 %mask, %bit
  %member = icmp ne i32 %has, 0
  br i1 %member, label %go, label %bad
bad:
  call void @__emu_fail(i32 {ERR_LANE_NOT_IN_MASK}, i64 0)
  br label %go
go:
  store i32 %mode, ptr %rec
  %r1 = getelementptr i32, ptr %rec, i64 {REC_MASK}
  store i32 %mask, ptr %r1
  %r2 = getelementptr i32, ptr %rec, i64 {REC_VALUE}
  store i32 %value, ptr %r2
  %r3 = getelementptr i32, ptr %rec, i64 {REC_B}
  store i32 %b, ptr %r3
  %r4 = getelementptr i32, ptr %rec, i64 {REC_C}
  store i32 %c, ptr %r4
  call void @__emu_switch(i32 {STATE_SHUFFLE})
  %r5 = getelementptr i32, ptr %rec, i64 {REC_RESULT}
  %res = load i32, ptr %r5
  ret i32 %res
}}
"""
    shuffles = ""
    for mode, name in ((SHFL_UP, "up"), (SHFL_DOWN, "down"), (SHFL_BFLY, "bfly"),
                       (SHFL_IDX, "idx")):
        shuffles += (
            f"define i32 @__emu_shfl_{name}_i32(i32 %m, i32 %v, i32 %b, i32 %c) {{\n"
            f"  %r = call i32 @__emu_shfl(i32 {mode}, i32 %m, i32 %v, i32 %b, i32 %c)\n"
            f"  ret i32 %r\n}}\n"
            f"define float @__emu_shfl_{name}_f32(i32 %m, float %v, i32 %b, i32 %c) {{\n"
            f"  %i = bitcast float %v to i32\n"
            f"  %r = call i32 @__emu_shfl(i32 {mode}, i32 %m, i32 %i, i32 %b, i32 %c)\n"
            f"  %f = bitcast i32 %r to float\n  ret float %f\n}}\n")
    shuffles += (f"define void @__emu_warp_sync(i32 %m) {{\n"
                 f"  call i32 @__emu_shfl(i32 {WARP_SYNC}, i32 %m, i32 0, i32 0, i32 31)\n"
                 f"  ret void\n}}\n")
    return head + shuffles + _loop_ir() + _fiber_ir() + settle_ir()


def _loop_ir():
    """Loop mode: every thread of every block in turn, one call each (no barriers)."""
    return ("""
define i32 @__emu_run_loop(ptr %L) {
entry:
  store ptr %L, ptr @__emu_L
  store i32 0, ptr @__emu_fiber
""" + "".join(_slot(n) for n in ("grid_x", "grid_y", "grid_z", "block_x", "block_y", "block_z",
                                   "params"))
            + _set_dims("ntid", "%block_x", "%block_y", "%block_z")
            + _set_dims("nctaid", "%grid_x", "%grid_y", "%grid_z") + """
  %params.ptr = inttoptr i64 %params to ptr
  %tramp = load ptr, ptr @__emu_tramp
  %gxy = mul i64 %grid_x, %grid_y
  %nblocks = mul i64 %gxy, %grid_z
  %bxy = mul i64 %block_x, %block_y
  %nthreads = mul i64 %bxy, %block_z
  call void @__emu_enter()
  %j = call i32 @_setjmp(ptr @__emu_jb)
  %trapped = icmp ne i32 %j, 0
  br i1 %trapped, label %fail, label %blocks
blocks:
  %b = phi i64 [0, %entry], [%b.next, %threads.done]
  %b.more = icmp ult i64 %b, %nblocks
  br i1 %b.more, label %block, label %done
block:
  store i64 %b, ptr @__emu_blk
""" + _decompose("cb", "%b", "%grid_x", "%grid_y")
            + _set_dims("ctaid", "%cb.x", "%cb.y", "%cb.z") + """
  br label %sh.entry
sh.entry:
""" + _poison_shared() + """
  br label %threads
threads:
  %t = phi i64 [0, %sh.done], [%t.next, %thread]
  %t.more = icmp ult i64 %t, %nthreads
  br i1 %t.more, label %thread, label %threads.done
thread:
  store i64 %t, ptr @__emu_cur
""" + _decompose("ct", "%t", "%block_x", "%block_y")
            + _set_dims("tid", "%ct.x", "%ct.y", "%ct.z") + """
  call void %tramp(ptr %params.ptr)
  %t.next = add i64 %t, 1
  br label %threads
threads.done:
  %b.next = add i64 %b, 1
  br label %blocks
done:
  store i32 0, ptr @__emu_active
  ret i32 0
fail:
  store i32 0, ptr @__emu_active
  ret i32 1
}
""")


def _fiber_ir():
    """Fiber mode: start a block's fibers, and run every runnable fiber until it waits."""
    return ("""
define void @__emu_fiber_entry() {
entry:
  %tramp = load ptr, ptr @__emu_tramp
  %L = load ptr, ptr @__emu_L
""" + _ptr_slot("params") + _ptr_slot("state") + f"""
  call void %tramp(ptr %params.ptr)
  %cur = load i64, ptr @__emu_cur
  %sp = getelementptr i32, ptr %state.ptr, i64 %cur
  store i32 {STATE_EXITED}, ptr %sp
  call void @_longjmp(ptr @__emu_sched_jb, i32 1)
  unreachable
}}

define i32 @__emu_block_start(ptr %L) {{
entry:
  store ptr %L, ptr @__emu_L
  store i32 1, ptr @__emu_fiber
""" + "".join(_slot(n) for n in ("grid_x", "grid_y", "grid_z", "block_x", "block_y", "block_z",
                                   "block", "nthreads", "context_size", "stack_size",
                                   "stack_stride", "fresh"))
            + _ptr_slot("contexts") + _ptr_slot("stacks") + _ptr_slot("state")
            + _ptr_slot("scheduler") + _ptr_slot("records")
            + _set_dims("ntid", "%block_x", "%block_y", "%block_z")
            + _set_dims("nctaid", "%grid_x", "%grid_y", "%grid_z")
            + "  store i64 %block, ptr @__emu_blk\n"
            + _decompose("cb", "%block", "%grid_x", "%grid_y")
            + _set_dims("ctaid", "%cb.x", "%cb.y", "%cb.z") + """
  br label %sh.entry
sh.entry:
""" + _poison_shared() + f"""
  br label %head
head:
  %t = phi i64 [0, %sh.done], [%t.next, %make]
  %more = icmp ult i64 %t, %nthreads
  br i1 %more, label %body, label %done
body:
  %off = mul i64 %t, %context_size
  %uc = getelementptr i8, ptr %contexts.ptr, i64 %off
  %is_fresh = icmp ne i64 %fresh, 0
  br i1 %is_fresh, label %init, label %make
init:
  call i32 @getcontext(ptr %uc)
  br label %make
make:
  %link = getelementptr i8, ptr %uc, i64 8
  store ptr %scheduler.ptr, ptr %link
  %soff = mul i64 %t, %stack_stride
  %stack = getelementptr i8, ptr %stacks.ptr, i64 %soff
  %ss_sp = getelementptr i8, ptr %uc, i64 16
  store ptr %stack, ptr %ss_sp
  %ss_flags = getelementptr i8, ptr %uc, i64 24
  store i32 0, ptr %ss_flags
  %ss_size = getelementptr i8, ptr %uc, i64 32
  store i64 %stack_size, ptr %ss_size
  call void (ptr, ptr, i32, ...) @makecontext(ptr %uc, ptr @__emu_fiber_entry, i32 0)
  %sp = getelementptr i32, ptr %state.ptr, i64 %t
  store i32 {STATE_RUNNABLE}, ptr %sp
  %roff = mul i64 %t, 8
  %roff7 = add i64 %roff, {REC_STARTED}
  %startp = getelementptr i32, ptr %records.ptr, i64 %roff7
  store i32 0, ptr %startp
  %t.next = add i64 %t, 1
  br label %head
done:
  ret i32 0
}}

define i32 @__emu_round(ptr %L) {{
entry:
  store ptr %L, ptr @__emu_L
  store i32 1, ptr @__emu_fiber
  call void @__emu_enter()
""" + "".join(_slot(n) for n in ("block_x", "block_y", "nthreads", "context_size"))
            + _ptr_slot("contexts") + _ptr_slot("state") + _ptr_slot("records")
            + _ptr_slot("jmpbufs") + f"""
  br label %head
head:
  %t = phi i64 [0, %entry], [%t.next, %next]
  %more = icmp ult i64 %t, %nthreads
  br i1 %more, label %check, label %done
check:
  %sp = getelementptr i32, ptr %state.ptr, i64 %t
  %s = load i32, ptr %sp
  %runnable = icmp eq i32 %s, {STATE_RUNNABLE}
  br i1 %runnable, label %run, label %next
run:
  store i64 %t, ptr @__emu_cur
""" + _decompose("ct", "%t", "%block_x", "%block_y")
            + _set_dims("tid", "%ct.x", "%ct.y", "%ct.z") + f"""
  %j = call i32 @_setjmp(ptr @__emu_sched_jb)
  %fresh = icmp eq i32 %j, 0
  br i1 %fresh, label %enter, label %next
enter:
  %roff = mul i64 %t, 8
  %roff7 = add i64 %roff, {REC_STARTED}
  %startp = getelementptr i32, ptr %records.ptr, i64 %roff7
  %started = load i32, ptr %startp
  store i32 1, ptr %startp
  %again = icmp ne i32 %started, 0
  br i1 %again, label %resume, label %start
resume:
  %joff = mul i64 %t, {JMPBUF_BYTES}
  %jb = getelementptr i8, ptr %jmpbufs.ptr, i64 %joff
  call void @_longjmp(ptr %jb, i32 1)
  unreachable
start:
  %off = mul i64 %t, %context_size
  %uc = getelementptr i8, ptr %contexts.ptr, i64 %off
  call i32 @setcontext(ptr %uc)
  unreachable
next:
  %t.next = add i64 %t, 1
  br label %head
done:
  store i32 0, ptr @__emu_active
  ret i32 0
}}
""")


def _rec(t, field, name):
    """IR loading records[t*8 + field] (i32) into %name (and its address into %name.p)."""
    return (f"  %{name}.o = mul i64 {t}, 8\n  %{name}.of = add i64 %{name}.o, {field}\n"
            f"  %{name}.p = getelementptr i32, ptr %records.ptr, i64 %{name}.of\n"
            f"  %{name} = load i32, ptr %{name}.p\n")


def settle_ir():
    """`i32 @__emu_settle(ptr %L)`, after a round: 2 when a fiber trapped, 1 when all returned,
    0 when it let some go on (every lane of a whole warp at the same full-mask shuffle, or every
    thread of the block at the same barrier), 3 when it cannot tell (Python's `_resolve` decides
    or names the error). `i32 @__emu_run_block(ptr %L)` alternates rounds and settling until the
    answer is not 0."""
    S = """
define i32 @__emu_settle(ptr %L) {
entry:
  %i.a = alloca i64
  %ne.a = alloca i64
  %nb.a = alloca i64
  %ns.a = alloca i64
  %nt.a = alloca i64
  %w.a = alloca i64
  %l.a = alloca i64
  %prog.a = alloca i32
""" + _slot("nthreads") + _ptr_slot("state") + _ptr_slot("records") + f"""
  store i64 0, ptr %i.a
  store i64 0, ptr %ne.a
  store i64 0, ptr %nb.a
  store i64 0, ptr %ns.a
  store i64 0, ptr %nt.a
  br label %count.head
count.head:
  %i = load i64, ptr %i.a
  %more = icmp ult i64 %i, %nthreads
  br i1 %more, label %count.body, label %count.done
count.body:
  %sp = getelementptr i32, ptr %state.ptr, i64 %i
  %s = load i32, ptr %sp
  %e1 = icmp eq i32 %s, {STATE_EXITED}
  %e = zext i1 %e1 to i64
  %ne = load i64, ptr %ne.a
  %ne2 = add i64 %ne, %e
  store i64 %ne2, ptr %ne.a
  %b1 = icmp eq i32 %s, {STATE_BARRIER}
  %b = zext i1 %b1 to i64
  %nb = load i64, ptr %nb.a
  %nb2 = add i64 %nb, %b
  store i64 %nb2, ptr %nb.a
  %h1 = icmp eq i32 %s, {STATE_SHUFFLE}
  %h = zext i1 %h1 to i64
  %ns = load i64, ptr %ns.a
  %ns2 = add i64 %ns, %h
  store i64 %ns2, ptr %ns.a
  %x1 = icmp eq i32 %s, {STATE_TRAPPED}
  %x = zext i1 %x1 to i64
  %nt = load i64, ptr %nt.a
  %nt2 = add i64 %nt, %x
  store i64 %nt2, ptr %nt.a
  %i.next = add i64 %i, 1
  store i64 %i.next, ptr %i.a
  br label %count.head
count.done:
  %ntf = load i64, ptr %nt.a
  %trapped = icmp ne i64 %ntf, 0
  br i1 %trapped, label %ret2, label %check.exit
ret2:
  ret i32 2
check.exit:
  %nef = load i64, ptr %ne.a
  %all = icmp eq i64 %nef, %nthreads
  br i1 %all, label %ret1, label %check.shfl
ret1:
  ret i32 1
check.shfl:
  store i32 0, ptr %prog.a
  %nsf = load i64, ptr %ns.a
  %anys = icmp ne i64 %nsf, 0
  br i1 %anys, label %warps.entry, label %check.bar
warps.entry:
  %n31 = add i64 %nthreads, 31
  %nw = udiv i64 %n31, 32
  store i64 0, ptr %w.a
  br label %warps.head
warps.head:
  %w = load i64, ptr %w.a
  %wmore = icmp ult i64 %w, %nw
  br i1 %wmore, label %warp.body, label %warps.done
warp.body:
  %base = mul i64 %w, 32
  %rem = sub i64 %nthreads, %base
  %lanes = call i64 @llvm.umin.i64(i64 %rem, i64 32)
  %fsh = shl i64 1, %lanes
  %f64 = sub i64 %fsh, 1
  %full = trunc i64 %f64 to i32
""" + _rec("%base", REC_MODE, "mode0") + f"""
  store i64 0, ptr %l.a
  br label %chk.head
chk.head:
  %l = load i64, ptr %l.a
  %lmore = icmp ult i64 %l, %lanes
  br i1 %lmore, label %chk.body, label %res.entry
chk.body:
  %ct = add i64 %base, %l
  %csp = getelementptr i32, ptr %state.ptr, i64 %ct
  %cs = load i32, ptr %csp
  %ok1 = icmp eq i32 %cs, {STATE_SHUFFLE}
""" + _rec("%ct", REC_MASK, "cm") + _rec("%ct", REC_MODE, "cmd") + """
  %ok2 = icmp eq i32 %cm, %full
  %ok3 = icmp eq i32 %cmd, %mode0
  %ok12 = and i1 %ok1, %ok2
  %ok = and i1 %ok12, %ok3
  %l.next = add i64 %l, 1
  store i64 %l.next, ptr %l.a
  br i1 %ok, label %chk.head, label %warp.next
res.entry:
  store i64 0, ptr %l.a
  br label %res.head
res.head:
  %r = load i64, ptr %l.a
  %rmore = icmp ult i64 %r, %lanes
  br i1 %rmore, label %res.body, label %set.entry
res.body:
  %rt = add i64 %base, %r
""" + _rec("%rt", REC_B, "rb32") + _rec("%rt", REC_C, "rc32") + f"""
  %rb = zext i32 %rb32 to i64
  %rc = zext i32 %rc32 to i64
  %cval = and i64 %rc, 31
  %seg0 = lshr i64 %rc, 8
  %seg = and i64 %seg0, 31
  %nseg = xor i64 %seg, 31
  %lseg = and i64 %r, %seg
  %cns = and i64 %cval, %nseg
  %maxl = or i64 %lseg, %cns
  %j.up = sub i64 %r, %rb
  %j.down = add i64 %r, %rb
  %j.bfly = xor i64 %r, %rb
  %bns = and i64 %rb, %nseg
  %j.idx = or i64 %lseg, %bns
  %is.up = icmp eq i32 %mode0, {SHFL_UP}
  %is.down = icmp eq i32 %mode0, {SHFL_DOWN}
  %is.bfly = icmp eq i32 %mode0, {SHFL_BFLY}
  %j1 = select i1 %is.bfly, i64 %j.bfly, i64 %j.idx
  %j2 = select i1 %is.down, i64 %j.down, i64 %j1
  %j = select i1 %is.up, i64 %j.up, i64 %j2
  %p.up = icmp sge i64 %j, %maxl
  %p.other = icmp sle i64 %j, %maxl
  %p = select i1 %is.up, i1 %p.up, i1 %p.other
  %src = select i1 %p, i64 %j, i64 %r
  %is.sync = icmp eq i32 %mode0, {WARP_SYNC}
  %inmask = icmp ult i64 %src, %lanes
  %fine = or i1 %is.sync, %inmask
  br i1 %fine, label %res.store, label %warp.next
res.store:
  %srcc = select i1 %is.sync, i64 %r, i64 %src
  %st = add i64 %base, %srcc
""" + _rec("%st", REC_VALUE, "sv") + _rec("%rt", REC_RESULT, "dummy") + f"""
  store i32 %sv, ptr %dummy.p
  %r.next = add i64 %r, 1
  store i64 %r.next, ptr %l.a
  br label %res.head
set.entry:
  store i64 0, ptr %l.a
  store i32 1, ptr %prog.a
  br label %set.head
set.head:
  %q = load i64, ptr %l.a
  %qmore = icmp ult i64 %q, %lanes
  br i1 %qmore, label %set.body, label %warp.next
set.body:
  %qt = add i64 %base, %q
  %qsp = getelementptr i32, ptr %state.ptr, i64 %qt
  store i32 {STATE_RUNNABLE}, ptr %qsp
  %q.next = add i64 %q, 1
  store i64 %q.next, ptr %l.a
  br label %set.head
warp.next:
  %w.next = add i64 %w, 1
  store i64 %w.next, ptr %w.a
  br label %warps.head
warps.done:
  %prog = load i32, ptr %prog.a
  %progressed = icmp ne i32 %prog, 0
  br i1 %progressed, label %ret0, label %check.bar
ret0:
  ret i32 0
check.bar:
  %nbf = load i64, ptr %nb.a
  %allbar = icmp eq i64 %nbf, %nthreads
  br i1 %allbar, label %bar.entry, label %ret3
ret3:
  ret i32 3
bar.entry:
""" + _rec("0", REC_SITE, "site0") + _rec("0", REC_BARRIER_ID, "bid0") + """
  store i64 0, ptr %i.a
  br label %bar.head
bar.head:
  %bi = load i64, ptr %i.a
  %bmore = icmp ult i64 %bi, %nthreads
  br i1 %bmore, label %bar.body, label %bar.release
bar.body:
""" + _rec("%bi", REC_SITE, "bsite") + _rec("%bi", REC_BARRIER_ID, "bbid") + f"""
  %same1 = icmp eq i32 %bsite, %site0
  %same2 = icmp eq i32 %bbid, %bid0
  %same = and i1 %same1, %same2
  %bi.next = add i64 %bi, 1
  store i64 %bi.next, ptr %i.a
  br i1 %same, label %bar.head, label %ret3
bar.release:
  store i64 0, ptr %i.a
  br label %rel.head
rel.head:
  %ri = load i64, ptr %i.a
  %rimore = icmp ult i64 %ri, %nthreads
  br i1 %rimore, label %rel.body, label %ret0
rel.body:
  %rsp = getelementptr i32, ptr %state.ptr, i64 %ri
  store i32 {STATE_RUNNABLE}, ptr %rsp
  %ri.next = add i64 %ri, 1
  store i64 %ri.next, ptr %i.a
  br label %rel.head
}}

define i32 @__emu_run_block(ptr %L) {{
entry:
  br label %loop
loop:
  call i32 @__emu_round(ptr %L)
  %r = call i32 @__emu_settle(ptr %L)
  %again = icmp eq i32 %r, 0
  br i1 %again, label %loop, label %out
out:
  ret i32 %r
}}
"""
    return S
