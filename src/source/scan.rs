//! Byte-level scans that run before any parser: the nesting guard that bounds parser recursion,
//! and blanking of unread blocks (targeted reading) with offsets kept.

use super::{FileId, Span};
pub use wide::u8x16;

/// Offset of the first bracket nested deeper than `limit`, skipping quoted strings and `#`
/// comments; a cheap guard that runs before any parser, whose recursion it bounds.
pub fn too_deep(text: &str, limit: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    // Depth never exceeds the number of opening brackets: files with few stop here.
    if !openings_over(bytes, limit) {
        return None;
    }
    // Outside strings only quotes, comments and brackets matter, and inside one only what
    // ends or escapes it: both sets are found 64 bytes at a time (`Stops`), so runs of other
    // bytes cost no branch each.
    let mut stops = Stops::<GuardSets>::new(bytes);
    let mut depth = 0usize;
    let mut from = 0;
    while let Some(i) = stops.next_unquoted(from) {
        from = i + 1;
        match bytes[i] {
            // A string ends at its closing quote or at the end of the line; `\` escapes a byte.
            b'"' => loop {
                let k = stops.next(IN_STRING, from)?;
                if bytes[k] == b'\\' {
                    from = k + 2;
                } else {
                    from = k + 1;
                    break;
                }
            },
            b'#' if i == 0 || bytes[i - 1].is_ascii_whitespace() => {
                from = i + memchr::memchr(b'\n', &bytes[i..])? + 1;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Whether `bytes` holds more than `limit` opening brackets (`(`, `[`, `{`): counted 16 bytes
/// at a time, in runs of 255 vectors whose counts fit a byte in each lane, stopping once past
/// `limit`.
fn openings_over(bytes: &[u8], limit: usize) -> bool {
    let mut openings = 0usize;
    for run in bytes.chunks(255 * 16) {
        let mut counts = u8x16::splat(0);
        let mut vectors = run.chunks_exact(16);
        for vector in &mut vectors {
            let v = u8x16::from(<[u8; 16]>::try_from(vector).expect("16 bytes"));
            // `[` and `{` differ only in 0x20.
            let open = v.simd_eq(u8x16::splat(b'('))
                | (v | u8x16::splat(0x20)).simd_eq(u8x16::splat(b'{'));
            counts += open & u8x16::splat(1);
        }
        openings += counts
            .to_array()
            .iter()
            .map(|&c| usize::from(c))
            .sum::<usize>();
        openings += vectors
            .remainder()
            .iter()
            .filter(|&&b| matches!(b, b'(' | b'[' | b'{'))
            .count();
        if openings > limit {
            return true;
        }
    }
    false
}

/// The nesting guard's `Stops` sets: quotes, `#` and brackets (what matters outside a
/// string), and quotes, `\` and line breaks (what ends or escapes one).
pub struct GuardSets;

impl StopSets for GuardSets {
    #[inline]
    fn lanes(v: u8x16) -> [u8x16; 2] {
        let eq = |x: u8x16, byte: u8| x.simd_eq(u8x16::splat(byte));
        // `"` and `#`, `(` and `)` differ in their low bit; `[` and `{`, `]` and `}` in 0x20.
        let (low, case) = (v | u8x16::splat(1), v | u8x16::splat(0x20));
        [
            eq(low, b'#') | eq(low, b')') | eq(case, b'{') | eq(case, b'}'),
            eq(v, b'"') | eq(v, b'\\') | eq(v, b'\n'),
        ]
    }
}

/// The first `Stops` set: what a scanner acts on outside strings.
pub const OUTSIDE: usize = 0;
/// The second `Stops` set: what ends or escapes a string.
pub const IN_STRING: usize = 1;

/// A scanner's two sets of bytes (`OUTSIDE`, `IN_STRING`) for `Stops`: for 16 bytes, each
/// set's lanes (all ones where the byte is in it). A zero byte must be in neither.
pub trait StopSets {
    fn lanes(v: u8x16) -> [u8x16; 2];
}

/// Where the bytes of two sets are in a text, found a 64-byte block at a time: the sets
/// compare 16 bytes at once (SSE2 on x86-64, through `wide`) and each block becomes one
/// bitmask per set, so a scanner jumps from stop to stop with no branch per byte in between.
pub struct Stops<'t, S> {
    bytes: &'t [u8],
    /// Where the current block starts, and its masks.
    base: usize,
    masks: [u64; 2],
    /// `next_unquoted`'s last answer in this block: the stops it found, the first string it
    /// left to the caller (64: none), and the offset just past the stop it gave, where a
    /// caller that stepped over that stop resumes with the block's strings already paired.
    unquoted: u64,
    hard: u64,
    resume: usize,
    sets: std::marker::PhantomData<S>,
}

impl<'t, S: StopSets> Stops<'t, S> {
    /// No block is classified until one is asked for.
    pub fn new(bytes: &'t [u8]) -> Self {
        Stops {
            bytes,
            base: NO_BLOCK,
            masks: [0; 2],
            unquoted: 0,
            hard: 64,
            resume: NO_BLOCK,
            sets: std::marker::PhantomData,
        }
    }

    /// Makes the block `from` is in the current one, classifying it when `from` is outside
    /// the current block (before or after it); `false` past the end of the text.
    #[inline(always)]
    fn enter(&mut self, from: usize) -> bool {
        if from.wrapping_sub(self.base) >= 64 {
            self.base = from & !63;
            self.resume = NO_BLOCK;
            if self.base >= self.bytes.len() {
                self.base = NO_BLOCK;
                return false;
            }
            self.masks = classify::<S>(self.bytes, self.base);
        }
        true
    }

    /// The first offset at or after `from` whose byte is in set `set`. Inlined into each
    /// scanner's loop, whose stops are mostly in the block at hand; a new block is classified
    /// by a call.
    #[inline(always)]
    pub fn next(&mut self, set: usize, mut from: usize) -> Option<usize> {
        loop {
            if !self.enter(from) {
                return None;
            }
            let mask = self.masks[set] & (u64::MAX << (from - self.base));
            if mask != 0 {
                return Some(self.base + mask.trailing_zeros() as usize);
            }
            from = self.base + 64;
        }
    }

    /// The first offset at or after `from`, which is outside any string, whose byte is in
    /// set `OUTSIDE` and is outside strings, where `"` opens a string, `\` escapes the byte
    /// after it and `"` closes it. Strings are jumped over by bitmask: the quotes of a block
    /// paired by a prefix XOR, so a scanner pays nothing for the strings between its stops.
    /// A string whose block has one of the set `IN_STRING`'s other bytes in it (an escape, a
    /// line break) or that runs past the block is left to the caller: its opening quote is
    /// returned, and the caller follows it as `next(IN_STRING, …)` would. Needs a quote to
    /// be in both sets and no other byte to be.
    #[inline(always)]
    pub fn next_unquoted(&mut self, mut from: usize) -> Option<usize> {
        loop {
            if !self.enter(from) {
                return None;
            }
            let range = u64::MAX << (from - self.base);
            if from != self.resume {
                let quotes = self.masks[OUTSIDE] & self.masks[IN_STRING] & range;
                let others = self.masks[IN_STRING] & !quotes & range;
                // Bit `j` set: byte `j` is an opening quote or in a string (a closing quote
                // is not).
                let inside = prefix_xor(quotes);
                self.unquoted = self.masks[OUTSIDE] & !quotes & !inside;
                // The first string the caller must follow: one with another byte of
                // `IN_STRING` in it, or one still open at the block's end; the stops before
                // it are exact.
                self.hard = 64;
                let escaped = others & inside;
                if escaped != 0 {
                    let before = quotes & !(u64::MAX << escaped.trailing_zeros());
                    self.hard = 63 - u64::from(before.leading_zeros());
                }
                if inside >> 63 == 1 {
                    self.hard = self.hard.min(63 - u64::from(quotes.leading_zeros()));
                }
            }
            let first = u64::from((self.unquoted & range).trailing_zeros());
            if first < self.hard {
                self.resume = self.base + first as usize + 1;
                return Some(self.base + first as usize);
            }
            if self.hard < 64 {
                self.resume = NO_BLOCK;
                return Some(self.base + self.hard as usize);
            }
            from = self.base + 64;
        }
    }
}

/// Bit `j` of the result: the XOR of bits `0..=j` of `x` (whether an odd number of quotes
/// is at or before `j`).
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// `Stops::base` before any block is classified: every offset is at least 64 past it, modulo
/// the word size.
const NO_BLOCK: usize = usize::MAX & !63;

/// The block of `bytes` at `base` as one bitmask per set (bit `j`: byte `base + j`); a last,
/// shorter block is padded with zeros, which are in neither set.
#[inline(never)]
fn classify<S: StopSets>(bytes: &[u8], base: usize) -> [u64; 2] {
    // A whole block is read in place; only the last, shorter one is copied (a copy of a
    // length not known at compile time is a call to `memcpy` for every block).
    let mut padded = [0u8; 64];
    let block: &[u8; 64] = match bytes.get(base..base + 64) {
        Some(block) => block.try_into().expect("64 bytes"),
        None => {
            let tail = &bytes[base.min(bytes.len())..];
            padded[..tail.len()].copy_from_slice(tail);
            &padded
        }
    };
    let mut masks = [0u64; 2];
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        let chunk: [u8; 16] = chunk.try_into().expect("16 bytes");
        for (mask, lanes) in masks.iter_mut().zip(S::lanes(u8x16::from(chunk))) {
            *mask |= u64::from(lanes.to_bitmask()) << (k * 16);
        }
    }
    masks
}

/// Searchers for a few fixed strings, built on first use and kept: memchr's, where
/// `str::contains` builds a two-way searcher at each call and scans slower.
pub struct Needles<const N: usize> {
    needles: [&'static str; N],
    finders: std::sync::OnceLock<[memchr::memmem::Finder<'static>; N]>,
}

impl<const N: usize> Needles<N> {
    pub const fn new(needles: [&'static str; N]) -> Self {
        Needles {
            needles,
            finders: std::sync::OnceLock::new(),
        }
    }

    pub fn finders(&self) -> &[memchr::memmem::Finder<'static>; N] {
        self.finders
            .get_or_init(|| self.needles.map(memchr::memmem::Finder::new))
    }

    /// Whether `text` holds one of the strings.
    pub fn any_in(&self, text: &[u8]) -> bool {
        self.finders()
            .iter()
            .any(|finder| finder.find(text).is_some())
    }

    /// Whether `text` holds each of the strings.
    pub fn all_in(&self, text: &[u8]) -> bool {
        self.finders()
            .iter()
            .all(|finder| finder.find(text).is_some())
    }
}

/// `too_deep` as a diagnostic: its message and the span of the first bracket past `limit`.
pub fn nesting_error(text: &str, file: FileId, limit: usize) -> Option<(String, Span)> {
    let at = too_deep(text, limit)?;
    let message =
        format!("brackets nest deeper than {limit} levels (`max-nesting` in intransit.toml)");
    Some((message, Span::new(file, at, at + 1)))
}

/// The text with each byte range replaced by spaces, line breaks kept, so offsets, lines and
/// columns stay those of the original (targeted reading). Ranges cover whole lines' content, so
/// a multi-byte character is blanked entirely and the result stays UTF-8.
pub fn blank(text: &str, ranges: &[(usize, usize)]) -> Option<String> {
    let original = text.as_bytes();
    let mut masked = original.to_vec();
    for &(start, end) in ranges {
        // Filled whole, then the line breaks put back where the original has them.
        masked.get_mut(start..end)?.fill(b' ');
        for at in memchr::memchr2_iter(b'\n', b'\r', &original[start..end]) {
            masked[start + at] = original[start + at];
        }
    }
    String::from_utf8(masked).ok()
}

/// Where the bytes of a text with ranges cut out came from: positions in the shorter text, as
/// a parser reports them, map back to the original, so spans are those of the full text.
#[derive(Clone, Debug, Default)]
pub struct Shifts {
    /// Each cut: its position in the shorter text and the bytes cut before that position in
    /// all, ascending.
    cuts: Vec<(u32, u32)>,
}

impl Shifts {
    /// The original offset of a position where something starts (a cut at it lies before it).
    pub fn start(&self, at: usize) -> usize {
        let k = self.cuts.partition_point(|&(cut, _)| cut as usize <= at);
        at + k.checked_sub(1).map_or(0, |k| self.cuts[k].1 as usize)
    }

    /// The original offset of a position where something ends (just past its last byte, so a
    /// cut at it lies after it).
    pub fn end(&self, at: usize) -> usize {
        match at.checked_sub(1) {
            Some(last) => self.start(last) + 1,
            None => 0,
        }
    }

    /// A span of the shorter text as a span of the original.
    pub fn span(&self, file: FileId, start: usize, end: usize) -> Span {
        Span::new(file, self.start(start), self.end(end))
    }
}

/// The text with each byte range cut out, and where what is left came from. Ranges must be
/// in order, apart, and on character boundaries; `None` otherwise. Parsers then skip nothing,
/// where a blanked range still costs them a byte at a time.
pub fn cut(text: &str, ranges: &[(usize, usize)]) -> Option<(String, Shifts)> {
    let removed: usize = ranges.iter().map(|&(s, e)| e.saturating_sub(s)).sum();
    let mut out = String::with_capacity(text.len().saturating_sub(removed));
    let mut cuts = Vec::with_capacity(ranges.len());
    let (mut from, mut total) = (0usize, 0usize);
    for &(start, end) in ranges {
        if start < from || end < start {
            return None;
        }
        out.push_str(text.get(from..start)?);
        text.get(start..end)?;
        total += end - start;
        cuts.push((out.len() as u32, total as u32));
        from = end;
    }
    out.push_str(text.get(from..)?);
    Some((out, Shifts { cuts }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blanking as first written (a byte at a time).
    fn blank_reference(text: &str, ranges: &[(usize, usize)]) -> Option<String> {
        let mut masked = text.as_bytes().to_vec();
        for &(start, end) in ranges {
            for byte in masked.get_mut(start..end)? {
                if *byte != b'\n' && *byte != b'\r' {
                    *byte = b' ';
                }
            }
        }
        String::from_utf8(masked).ok()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Openings counted by vector are those a byte count finds, across runs of vectors
        /// and their remainders.
        #[test]
        fn openings_are_counted_as_a_byte_count_does(text in "[(\\[{a)}]{0,9000}", slack in 0usize..3) {
            let count = text.bytes().filter(|b| matches!(b, b'(' | b'[' | b'{')).count();
            for limit in [count.saturating_sub(slack + 1), count, count + slack] {
                proptest::prop_assert_eq!(openings_over(text.as_bytes(), limit), count > limit);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn blanking_keeps_line_breaks_like_the_byte_loop(
            text in "[a-z \n\r:{}\"#é]{0,200}",
            cuts in proptest::collection::vec((0usize..220, 0usize..40), 0..6),
        ) {
            let ranges: Vec<(usize, usize)> = cuts.iter().map(|&(s, n)| (s, s + n)).collect();
            proptest::prop_assert_eq!(blank(&text, &ranges), blank_reference(&text, &ranges));
        }
    }

    proptest::proptest! {
        #[test]
        fn a_cut_text_maps_every_byte_back_to_the_original(
            text in "[a-z \n{}\"é]{0,120}",
            cuts in proptest::collection::vec((0usize..130, 0usize..20), 0..6),
        ) {
            let mut ranges: Vec<(usize, usize)> = Vec::new();
            let mut at = 0;
            for &(gap, length) in &cuts {
                let start = at + gap % 20;
                ranges.push((start, start + length));
                at = start + length;
            }
            if let Some((short, shifts)) = cut(&text, &ranges) {
                for (i, c) in short.char_indices() {
                    let start = shifts.start(i);
                    proptest::prop_assert_eq!(text[start..].chars().next(), Some(c));
                    let end = shifts.end(i + c.len_utf8());
                    proptest::prop_assert_eq!(end, start + c.len_utf8());
                }
            }
        }
    }

    #[test]
    fn a_span_around_a_cut_covers_it_and_one_beside_it_does_not() {
        let text = "{\"Type\": \"X\", \"Properties\": {}}";
        let cut_at = text.find(", ").unwrap();
        let (short, shifts) = cut(text, &[(cut_at, text.len() - 1)]).unwrap();
        assert_eq!(short, "{\"Type\": \"X\"}");
        // The value ends before the cut, the object's `}` starts after it.
        let value = short.find("\"X\"").unwrap();
        assert_eq!(
            &text[shifts.span(FileId(0), value, value + 3).range()],
            "\"X\""
        );
        assert_eq!(&text[shifts.span(FileId(0), 0, short.len()).range()], text);
        assert_eq!(shifts.start(short.len() - 1), text.len() - 1);
    }

    /// The scan as first written (a byte at a time), to compare the fast one with.
    fn reference(text: &str, limit: usize) -> Option<usize> {
        let bytes = text.as_bytes();
        // The bytes the loop acts on; runs of others are skipped in a tight loop.
        const SPECIAL: [bool; 256] = {
            let bytes = b"\"\\\n#()[]{}";
            let mut table = [false; 256];
            let mut i = 0;
            while i < bytes.len() {
                table[bytes[i] as usize] = true;
                i += 1;
            }
            table
        };
        let mut depth = 0usize;
        let mut i = 0;
        let mut in_string = false;
        while i < bytes.len() {
            while i < bytes.len() && !SPECIAL[bytes[i] as usize] {
                i += 1;
            }
            let Some(&b) = bytes.get(i) else {
                break;
            };
            if in_string {
                match b {
                    b'\\' => i += 1,
                    b'"' | b'\n' => in_string = false,
                    _ => {}
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'#' if i == 0 || bytes[i - 1].is_ascii_whitespace() => {
                        while i < bytes.len() && bytes[i] != b'\n' {
                            i += 1;
                        }
                    }
                    b'(' | b'[' | b'{' => {
                        depth += 1;
                        if depth > limit {
                            return Some(i);
                        }
                    }
                    b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            i += 1;
        }
        None
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn the_fast_scan_agrees_with_the_byte_at_a_time_one(
            text in "[\\[\\]{}()\"\\\\#\n a;|=Yy\\^é]{0,300}",
            limit in 0usize..6,
        ) {
            proptest::prop_assert_eq!(too_deep(&text, limit), reference(&text, limit));
        }

        /// Texts of a few hundred bytes, mostly balanced, with strings, escapes and comments
        /// across the 64-byte blocks: the depth that decides is reached late or not at all.
        #[test]
        fn the_block_scan_agrees_across_blocks(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "{", "}", "[", "]", "(", ")", "{[(", ")]}", "\"a{b\"", "\"\\\"[\"", "\"x\n",
                "# {[(\n", "a#{", " #[\n", "\\", "\n", "key = value ", "é", "\"\"",
            ]), 0..120),
            limit in 0usize..40,
        ) {
            let text = pieces.concat();
            proptest::prop_assert_eq!(too_deep(&text, limit), reference(&text, limit));
        }
    }

    #[test]
    fn nesting_is_measured_outside_strings_and_comments() {
        assert_eq!(too_deep("[[[", 2), Some(2));
        assert_eq!(too_deep("[[]][[]]", 2), None);
        assert_eq!(too_deep("\"[[[[\" [", 2), None);
        assert_eq!(too_deep("\"\\\"[[[\" [[", 2), None);
        assert_eq!(too_deep("# [[[[\n[", 2), None);
        assert_eq!(too_deep("a#[[[", 2), Some(4));
        assert_eq!(too_deep("x: {a: [1, {b: (c)}]}", 2), Some(11));
    }
}
