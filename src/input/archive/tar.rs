//! Tar archives, plain or gzip-compressed (the gzip stream under the ratio guard); GNU long
//! names and pax paths honoured up to a size.

use super::*;
impl Walker<'_> {
    pub(super) fn tar_gz<R: Read>(&mut self, reader: R, display: &str, depth: usize) -> Walked {
        let compressed = Rc::new(Cell::new(0u64));
        let counting = Counting {
            inner: reader,
            count: compressed.clone(),
        };
        let guard = RatioGuard {
            inner: flate2::read::MultiGzDecoder::new(counting),
            compressed,
            produced: 0,
            max_ratio: self.limits.max_ratio,
        };
        self.tar(guard, display, depth, Some("gzip"))
    }

    pub(super) fn tar<R: Read>(
        &mut self,
        reader: R,
        display: &str,
        depth: usize,
        compression: Option<&str>,
    ) -> Walked {
        let metered = Metered {
            inner: reader,
            remaining: self.budget.clone(),
            what: "archive total uncompressed-size limit reached",
        };
        let mut archive = ::tar::Archive::new(metered);
        let entries = match archive.entries() {
            Ok(e) => e.raw(true),
            Err(e) => return Walked::Unreadable(format!("tar: {e}")),
        };
        let mut pending_name: Option<Vec<u8>> = None;
        let mut any = false;
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    if !any {
                        let kind = compression.map_or("tar".to_string(), |c| format!("tar+{c}"));
                        return Walked::Unreadable(format!("{kind}: {e}"));
                    }
                    if self.budget.get() == 0 {
                        self.budget_spent(display);
                    } else {
                        self.problem(
                            display,
                            format!("archive is damaged ({e}); the rest was not scanned"),
                        );
                    }
                    break;
                }
            };
            any = true;
            if !self.count_entry(display) {
                break;
            }
            let header = entry.header();
            let kind = header.entry_type();
            let size = entry.size();
            if kind.is_gnu_longname() || kind.is_pax_local_extensions() {
                if size > MAX_TAR_EXTENSION_BYTES {
                    self.problem(display, "an oversized tar name extension was ignored");
                    continue;
                }
                let mut data = Vec::new();
                if entry.read_to_end(&mut data).is_err() {
                    continue;
                }
                if kind.is_gnu_longname() {
                    while data.last() == Some(&0) {
                        data.pop();
                    }
                    pending_name = Some(data);
                } else {
                    for ext in ::tar::PaxExtensions::new(&data).flatten() {
                        if ext.key_bytes() == b"path" {
                            pending_name = Some(ext.value_bytes().to_vec());
                        }
                    }
                }
                continue;
            }
            let raw = pending_name
                .take()
                .unwrap_or_else(|| header.path_bytes().into_owned());
            if !(kind.is_file() || kind.is_contiguous()) {
                continue;
            }
            let (name, suspicious) = normalise_member_name(&raw);
            let member = format!("{display}!/{name}");
            let nested = kind_of(&name);
            if !self.wanted(&member, nested.is_some()) {
                continue;
            }
            self.note_name(display, &raw, &name, suspicious);
            let cap = self.cap_for(nested.is_some());
            if size > cap {
                self.too_large(&member, size, nested.is_some());
                continue;
            }
            let bytes = match read_capped(&mut entry, cap, size) {
                Ok(Ok(b)) => b,
                Ok(Err(())) => {
                    self.too_large(&member, cap + 1, nested.is_some());
                    continue;
                }
                Err(e) => {
                    if self.budget.get() == 0 {
                        self.budget_spent(display);
                    } else {
                        self.problem(
                            &member,
                            format!("cannot read member ({e}); the rest was not scanned"),
                        );
                    }
                    break;
                }
            };
            self.member(member, &name, nested, bytes, depth);
            if self.stopped {
                break;
            }
        }
        Walked::Read
    }
}
