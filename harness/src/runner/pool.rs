//! Idle stations waiting for their next case. A case takes a station of its key (or
//! gets a new one) and gives it back if the peer is healthy; a broken or unresettable
//! station is never reused. At most `capacity` stations idle at once; the ones that
//! waited longest go first.

use std::sync::Mutex;

use super::station::{Station, StationKey};

pub struct StationPool {
    idle: Mutex<Vec<Station>>,
    capacity: usize,
}

impl StationPool {
    /// A pool that keeps up to `capacity` idle stations; 0 keeps none (one per case).
    pub fn new(capacity: usize) -> Self {
        StationPool { idle: Mutex::new(Vec::new()), capacity }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Station>> {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An idle station of this key, or a new one.
    pub fn take(&self, key: StationKey) -> Result<Station, String> {
        let reused = {
            let mut idle = self.idle();
            idle.iter().position(|station| station.key == key).map(|at| idle.remove(at))
        };
        match reused {
            Some(station) => Ok(station),
            None => Station::build(key),
        }
    }

    /// Keeps a station for a later case of its key, or stops it.
    pub fn give_back(&self, station: Station) {
        if self.capacity == 0 {
            return station.stop();
        }
        let evicted = {
            let mut idle = self.idle();
            idle.push(station);
            let surplus = idle.len().saturating_sub(self.capacity);
            idle.drain(..surplus).collect::<Vec<_>>()
        };
        evicted.into_iter().for_each(Station::stop);
    }

    /// Stops every idle station (at the end of a run).
    pub fn clear(&self) {
        let stations: Vec<Station> = self.idle().drain(..).collect();
        stations.into_iter().for_each(Station::stop);
    }
}

impl Drop for StationPool {
    fn drop(&mut self) {
        self.clear();
    }
}
