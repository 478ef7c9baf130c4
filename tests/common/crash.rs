//! What the crash loops of the reliability suite share: when to kill comes from a small
//! deterministic generator, so that a failure replays. Its seed is printed and taken from
//! `KAKEHASHI_CRASH_SEED` when set; `KAKEHASHI_CRASH_CYCLES` runs more cycles than CI does.

/// A xorshift generator: deterministic for a seed, no dependency.
pub struct Chaos(u64);

impl Chaos {
    /// Seeded from `KAKEHASHI_CRASH_SEED`, or from the clock; the seed is printed either way.
    pub fn from_env(test: &str) -> Self {
        let seed = std::env::var("KAKEHASHI_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            })
            | 1;
        eprintln!("{test}: seed {seed} (KAKEHASHI_CRASH_SEED={seed} replays it)");
        Self(seed)
    }

    /// A number in `0..below`.
    pub fn below(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }

    /// A pause of up to `max_ms` milliseconds.
    pub fn pause(&mut self, max_ms: u64) -> std::time::Duration {
        std::time::Duration::from_millis(self.below(max_ms + 1))
    }
}

/// How many kill cycles to run: `KAKEHASHI_CRASH_CYCLES`, or `default` (what CI runs).
pub fn cycles(default: usize) -> usize {
    std::env::var("KAKEHASHI_CRASH_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
