//! The kernel's side of watching: one watch per directory, and the events they raise turned into
//! [`Signal`]s for the debounce thread.
//!
//! On Linux, inotify itself (the `inotify` crate): a watch is one `inotify_add_watch` call on the
//! caller's thread, and one thread blocks in `poll` on the inotify descriptor and on a pipe whose
//! writing end the watcher holds, so that dropping the watcher ends the thread. Elsewhere, and
//! when asked for, `notify`'s recommended watcher. `notify` on Linux hands every watch to its own
//! event-loop thread and waits for the answer, two thread hand-offs and two `stat`s per
//! directory: 120–150 ms of a warm server start on rust-crates' 2,225 directories, most of the
//! time to its first answer. It also asks for `OPEN` events, which the indexer's own reads raise
//! by the thousand.

use std::path::Path;

use crossbeam_channel::Sender;
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

use super::Signal;

/// Why a directory could not be watched.
#[derive(Debug, thiserror::Error)]
pub(super) enum WatchError {
    /// The kernel's limit on watches is reached (`fs.inotify.max_user_watches`).
    #[error("the kernel's watch limit is reached")]
    Limit,
    #[error("{0}")]
    Other(String),
}

/// Watches directories and sends what changes under them (see the module docs).
pub(super) enum Kernel {
    #[cfg(target_os = "linux")]
    Inotify(linux::Inotify),
    #[cfg_attr(all(target_os = "linux", not(test)), allow(dead_code))]
    Notify(RecommendedWatcher),
}

impl Kernel {
    /// The platform's watcher, sending to `events`.
    pub fn start(events: Sender<Signal>) -> Result<Kernel, String> {
        #[cfg(target_os = "linux")]
        return linux::Inotify::start(events).map(Kernel::Inotify).map_err(|e| e.to_string());
        #[cfg(not(target_os = "linux"))]
        return Kernel::start_notify(events);
    }

    /// `notify`'s recommended watcher, sending to `events` (on Linux, for tests only).
    #[cfg_attr(all(target_os = "linux", not(test)), allow(dead_code))]
    pub fn start_notify(events: Sender<Signal>) -> Result<Kernel, String> {
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
            Ok(event) => {
                if event.need_rescan() {
                    let _ = events.send(Signal::RescanAll);
                }
                // Opens and closes (our own reads among them) change nothing.
                if matches!(event.kind, EventKind::Access(_)) {
                    return;
                }
                for path in event.paths {
                    let _ = events.send(Signal::Path(path));
                }
            }
            Err(e) => tracing::warn!("file watching: {e}"),
        });
        watcher.map(Kernel::Notify).map_err(|e| e.to_string())
    }

    /// Watches `dir` (not what is under it). Watching a directory again is harmless (the same
    /// inode keeps its watch) and heals one replaced under the same name.
    pub fn watch(&mut self, dir: &Path) -> Result<(), WatchError> {
        match self {
            #[cfg(target_os = "linux")]
            Kernel::Inotify(inotify) => inotify.watch(dir).map_err(|e| match e.raw_os_error() {
                Some(libc::ENOSPC) => WatchError::Limit,
                _ => WatchError::Other(e.to_string()),
            }),
            Kernel::Notify(notify) => notify.watch(dir, RecursiveMode::NonRecursive).map_err(|e| match e.kind {
                notify::ErrorKind::MaxFilesWatch => WatchError::Limit,
                _ => WatchError::Other(e.to_string()),
            }),
        }
    }

    /// Stops watching `dir`; nothing happens when the kernel already dropped its watch (the
    /// directory deleted or moved away).
    pub fn unwatch(&mut self, dir: &Path) {
        match self {
            #[cfg(target_os = "linux")]
            Kernel::Inotify(inotify) => inotify.unwatch(dir),
            Kernel::Notify(notify) => {
                let _ = notify.unwatch(dir);
            }
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::HashMap;
    use std::io::{self, PipeReader, PipeWriter};
    use std::os::fd::AsRawFd;
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex, MutexGuard};

    use crossbeam_channel::Sender;
    use inotify::{EventMask, WatchDescriptor, WatchMask, Watches};

    use super::Signal;

    /// What a directory's watch reports: its entries created, deleted, written, moved or
    /// touched, and the directory itself deleted or moved. Not opens and reads.
    const MASK: WatchMask = WatchMask::CREATE
        .union(WatchMask::DELETE)
        .union(WatchMask::MODIFY)
        .union(WatchMask::CLOSE_WRITE)
        .union(WatchMask::MOVED_FROM)
        .union(WatchMask::MOVED_TO)
        .union(WatchMask::ATTRIB)
        .union(WatchMask::DELETE_SELF)
        .union(WatchMask::MOVE_SELF)
        .union(WatchMask::ONLYDIR);

    /// Room for a few hundred events per read.
    const BUFFER: usize = 64 * 1024;

    /// Watched directories by descriptor: the event thread's view.
    type Dirs = Arc<Mutex<HashMap<WatchDescriptor, PathBuf>>>;

    pub struct Inotify {
        watches: Watches,
        dirs: Dirs,
        /// Each watched directory's descriptor, to unwatch it.
        descriptors: HashMap<PathBuf, WatchDescriptor>,
        /// Dropped with the watcher: the event thread sees the pipe close and ends.
        _stop: PipeWriter,
    }

    impl Inotify {
        pub fn start(events: Sender<Signal>) -> io::Result<Inotify> {
            let inotify = inotify::Inotify::init()?;
            let watches = inotify.watches();
            let (stop, stop_writer) = io::pipe()?;
            let dirs = Dirs::default();
            let shared = dirs.clone();
            std::thread::Builder::new()
                .name("symdex-inotify".into())
                .spawn(move || read_events(inotify, &stop, &shared, &events))?;
            Ok(Inotify { watches, dirs, descriptors: HashMap::new(), _stop: stop_writer })
        }

        pub fn watch(&mut self, dir: &Path) -> io::Result<()> {
            // Held through the call, so that an event of the new watch waits until its directory
            // is known.
            let mut dirs = lock(&self.dirs);
            let descriptor = self.watches.add(dir, MASK)?;
            dirs.insert(descriptor.clone(), dir.to_path_buf());
            self.descriptors.insert(dir.to_path_buf(), descriptor);
            Ok(())
        }

        pub fn unwatch(&mut self, dir: &Path) {
            let Some(descriptor) = self.descriptors.remove(dir) else { return };
            let mut dirs = lock(&self.dirs);
            // A directory renamed within the tree keeps its inode, so its new name was given
            // the same descriptor: the watch is the new name's now.
            if dirs.get(&descriptor).is_some_and(|watched| watched == dir) {
                dirs.remove(&descriptor);
                let _ = self.watches.remove(descriptor);
            }
        }
    }

    fn lock(dirs: &Dirs) -> MutexGuard<'_, HashMap<WatchDescriptor, PathBuf>> {
        dirs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The event thread: blocks until inotify has events or `stop` closes; sends each event's
    /// path (the directory's entry, or the directory itself).
    fn read_events(mut inotify: inotify::Inotify, stop: &PipeReader, dirs: &Dirs, events: &Sender<Signal>) {
        let mut buffer = vec![0u8; BUFFER];
        loop {
            let mut fds = [
                libc::pollfd { fd: inotify.as_raw_fd(), events: libc::POLLIN, revents: 0 },
                libc::pollfd { fd: stop.as_raw_fd(), events: libc::POLLIN, revents: 0 },
            ];
            // SAFETY: `fds` is two valid `pollfd`s that outlive the call; no timeout (blocks).
            if unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) } < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                tracing::warn!("file watching stopped: {e}");
                return;
            }
            if fds[1].revents != 0 {
                return; // the watcher is gone
            }
            // The descriptor is non-blocking: read until it has nothing left.
            loop {
                let read = match inotify.read_events(&mut buffer) {
                    Ok(read) => read,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        tracing::warn!("file watching stopped: {e}");
                        return;
                    }
                };
                let mut dirs = lock(dirs);
                for event in read {
                    if event.mask.contains(EventMask::Q_OVERFLOW) {
                        let _ = events.send(Signal::RescanAll);
                        continue;
                    }
                    if event.mask.contains(EventMask::IGNORED) {
                        // The kernel dropped the watch (its directory is gone, or unwatched).
                        dirs.remove(&event.wd);
                        continue;
                    }
                    let Some(dir) = dirs.get(&event.wd) else { continue };
                    let path = event.name.map_or_else(|| dir.clone(), |name| dir.join(name));
                    if events.send(Signal::Path(path)).is_err() {
                        return;
                    }
                }
            }
        }
    }
}
