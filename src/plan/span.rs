//! Byte spans and their conversion to 1-based line and column (columns counted in characters).

/// A half-open byte range into the plan's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }
}

/// Line starts of a source, for offset → (line, column) lookups.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index the line starts of `src`.
    pub fn new(src: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(src.as_bytes()));
        LineIndex { starts }
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// 1-based (line, column) of a byte offset; the column counts characters.
    pub fn line_col(&self, src: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(src.len());
        let line = self.line(offset);
        let start = self.starts[line - 1];
        let mut off = offset;
        while off > start && !src.is_char_boundary(off) {
            off -= 1;
        }
        let col = src.get(start..off).map_or(0, |s| s.chars().count()) + 1;
        (line, col)
    }

    /// Byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0)
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether the source is empty of lines (never: an empty source has one empty line).
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }
}

fn memchr_newlines(b: &[u8]) -> impl Iterator<Item = usize> + '_ {
    b.iter()
        .enumerate()
        .filter(|(_, c)| **c == b'\n')
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let src = "ab\n§éx\n";
        let ix = LineIndex::new(src);
        assert_eq!(ix.line_col(src, 0), (1, 1));
        assert_eq!(ix.line_col(src, 3), (2, 1));
        let x = src.find('x').unwrap();
        assert_eq!(ix.line_col(src, x), (2, 3));
    }
}
