//! Giving freed heap memory back to the operating system after a burst.
//!
//! glibc keeps what is freed in its arenas for reuse, so once thousands of
//! sessions have closed (a reconnect storm, the end of a working day) the
//! process keeps the resident size of its busiest moment. `malloc_trim`
//! returns the arenas' free pages; it walks every arena, so it runs only
//! after many sessions have gone, not on a timer alone.

/// Sessions that must have closed (from the most open since the last trim)
/// before trimming again.
const TRIM_AFTER_CLOSED: usize = 1_000;

/// Follows the node's session count and says when a trim is worth it.
#[derive(Debug, Default)]
pub struct TrimWatch {
    peak: usize,
}

impl TrimWatch {
    /// Takes the current session count; whether to trim now.
    pub fn should_trim(&mut self, sessions: usize) -> bool {
        self.peak = self.peak.max(sessions);
        if self.peak - sessions >= TRIM_AFTER_CLOSED {
            self.peak = sessions;
            true
        } else {
            false
        }
    }
}

/// Returns the allocator's free pages to the operating system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free_heap() {
    // SAFETY: malloc_trim only walks glibc's own arenas under their locks;
    // it frees nothing that is in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_heap() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_once_many_sessions_have_closed_since_the_peak() {
        let mut watch = TrimWatch::default();
        assert!(!watch.should_trim(0));
        assert!(!watch.should_trim(5_000));
        assert!(!watch.should_trim(4_500), "500 closed: not yet");
        assert!(watch.should_trim(3_900), "1,100 closed since the peak");
        assert!(!watch.should_trim(3_900), "counted from the trim on");
        assert!(!watch.should_trim(3_000));
        assert!(watch.should_trim(2_900));
        release_free_heap();
    }
}
