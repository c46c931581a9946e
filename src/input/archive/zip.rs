//! Zip archives: the central directory read under its own byte budget, each member through
//! the ratio and size limits.

use super::*;
impl Walker<'_> {
    pub(super) fn zip<R: Read + Seek>(&mut self, reader: R, display: &str, depth: usize) -> Walked {
        let index_budget = Rc::new(Cell::new(self.limits.max_index_bytes));
        let metered = Metered {
            inner: reader,
            remaining: index_budget.clone(),
            what: "the zip central directory is larger than the index limit",
        };
        let mut zip = match ::zip::ZipArchive::new(metered) {
            Ok(z) => z,
            Err(e) => return Walked::Unreadable(format!("zip: {e}")),
        };
        // Member data is bounded per member and by the total budget instead.
        index_budget.set(u64::MAX);
        if zip.has_duplicate_names() {
            self.problem(
                display,
                "the zip lists the same member name more than once; only one of each was scanned",
            );
        }
        for i in 0..zip.len() {
            let Ok(entry) = zip.by_index_data(i) else {
                continue;
            };
            let raw = entry.name_raw().to_vec();
            let (name, suspicious) = normalise_member_name(&raw);
            let member = format!("{display}!/{name}");
            if !self.count_entry(display) {
                break;
            }
            if entry.is_dir() || entry.is_symlink() {
                continue;
            }
            let nested = kind_of(&name);
            if !self.wanted(&member, nested.is_some()) {
                continue;
            }
            self.note_name(display, &raw, &name, suspicious);
            let declared = entry.size();
            let compressed = entry.compressed_size();
            let cap = self.cap_for(nested.is_some());
            if declared > cap {
                self.too_large(&member, declared, nested.is_some());
                continue;
            }
            if declared > RATIO_FLOOR && declared / compressed.max(1) > self.limits.max_ratio {
                self.ratio_refused(&member, declared, compressed);
                continue;
            }
            if entry.encrypted() {
                self.problem(&member, "encrypted member; not scanned");
                continue;
            }
            let read = match zip.by_index(i) {
                Ok(mut f) => {
                    let mut metered = Metered {
                        inner: &mut f,
                        remaining: self.budget.clone(),
                        what: "archive total uncompressed-size limit reached",
                    };
                    read_capped(&mut metered, cap, declared)
                }
                Err(e) => Err(io::Error::other(e.to_string())),
            };
            let bytes = match read {
                Ok(Ok(b)) => b,
                Ok(Err(())) => {
                    self.too_large(&member, cap + 1, nested.is_some());
                    continue;
                }
                Err(e) => {
                    if self.budget.get() == 0 {
                        self.budget_spent(display);
                        break;
                    }
                    self.problem(&member, format!("cannot read member: {e}"));
                    continue;
                }
            };
            let len = bytes.len() as u64;
            if len > RATIO_FLOOR && len / compressed.max(1) > self.limits.max_ratio {
                self.ratio_refused(&member, len, compressed);
                continue;
            }
            self.member(member, &name, nested, bytes, depth);
            if self.stopped {
                break;
            }
        }
        Walked::Read
    }
}
