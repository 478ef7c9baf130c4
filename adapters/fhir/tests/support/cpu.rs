//! The CPU time of the test's own thread: what the growth and memory tests time conversions
//! by, because a busy machine deschedules the thread but does not add to it.

/// CPU time this thread has used so far.
pub fn thread_cpu() -> std::time::Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}
