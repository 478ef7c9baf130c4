//! The resident memory a piece of work adds at its peak, from the kernel's figures for this
//! process: the high-water mark (`VmHWM`) is reset through `/proc/self/clear_refs` just before
//! the work, and what the process held then (`VmRSS`) is the base. Linux only; what other
//! threads allocate meanwhile counts too, so measure with nothing else running.

/// A `Vm…:` figure of this process, in bytes.
fn status(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    let kb: usize = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kb * 1024
}

/// Runs `work`; returns its result, the resident bytes held before it (the base) and the
/// most it held above that base at any moment.
pub fn peak_above_base<T>(work: impl FnOnce() -> T) -> (T, usize, usize) {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let base = status("VmRSS:");
    let result = work();
    let peak = status("VmHWM:");
    (result, base, peak.saturating_sub(base))
}
