//! One pulldown-cmark pass, flattened into blocks with rendered text.
//!
//! This is the only place that builds a Markdown parser. Options are fixed here: tables, task
//! lists and strikethrough, the same set the benchmark's bare baseline uses.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::model::{Row, Table, Text};
use super::Span;

/// The parser options every reader of plans uses.
pub fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH
}

/// What a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Heading(u8),
    Paragraph,
    Item,
    Table,
    Code,
    Html,
}

/// A flattened block.
#[derive(Debug, Clone)]
pub struct Blk {
    pub kind: Kind,
    pub span: Span,
    /// Rendered text: emphasis and code marks removed, breaks as `\n`, inline HTML kept raw.
    pub text: String,
    /// The first line of `text`: (offset in `text`, source offset where it starts); most
    /// blocks have one line, so it is kept inline.
    pub first_line: Option<(usize, usize)>,
    /// The further lines, likewise.
    pub more_lines: Vec<(usize, usize)>,
    /// List nesting depth of an item (0 = top-level list).
    pub depth: usize,
    /// The enclosing list item, if any.
    pub parent: Option<usize>,
    /// Code block language (first word of the info string, lowercased).
    pub lang: String,
    /// Table contents.
    pub table: Option<Table>,
}

impl Blk {
    fn new(kind: Kind, span: Span) -> Self {
        // The rendered text is at most as long as the source of a paragraph or heading; items
        // span their nested content too, so they get a bounded guess when their first text
        // arrives (see `append`): an item holding only a nested list (`- - - x`) gets none.
        let cap = match kind {
            Kind::Paragraph | Kind::Heading(_) => span.end - span.start,
            _ => 0,
        };
        Blk {
            kind,
            span,
            text: String::with_capacity(cap),
            first_line: None,
            more_lines: Vec::new(),
            depth: 0,
            parent: None,
            lang: String::new(),
            table: None,
        }
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        usize::from(self.first_line.is_some()) + self.more_lines.len()
    }

    /// Line `i`: (offset in `text`, source offset).
    pub fn line(&self, i: usize) -> Option<(usize, usize)> {
        if i == 0 {
            self.first_line
        } else {
            self.more_lines.get(i - 1).copied()
        }
    }

    /// Iterate over the block's lines as (text, source offset of the line's start).
    pub fn text_lines(&self) -> impl Iterator<Item = (&str, usize)> + '_ {
        let n = self.line_count();
        (0..n).map(move |i| {
            let (t0, s0) = self.line(i).unwrap_or((0, 0));
            let t1 = self.line(i + 1).map_or(self.text.len(), |l| l.0);
            let seg = self.text.get(t0..t1).unwrap_or("");
            (seg.trim_end_matches('\n'), s0)
        })
    }
}

/// What the first pass keeps after the blocks have been handed on.
#[derive(Debug, Default)]
pub struct Pass {
    /// Kind and span of every block, in source order (a block's index is its position here).
    pub outline: Vec<(Kind, Span)>,
    /// Code blocks and inline code spans, in source order.
    pub code_spans: Vec<Span>,
    /// Inline and block HTML outside code: (raw, span).
    pub html: Vec<(String, Span)>,
}

enum Target {
    /// Text goes to this block; `own` when the block ends with the tag that opened the target
    /// (a paragraph inside a list item writes into the item, which ends later).
    Block {
        at: usize,
        own: bool,
    },
    Cell,
}

enum Container {
    Item(usize),
    List,
    Other,
}

/// The open containers, with the two questions every block asks of them answered in constant
/// time: how many lists enclose it, and which list item is the nearest one around it. (Scanning
/// the stack per block made deeply nested lists quadratic: `- - - … x`.)
#[derive(Default)]
struct Containers {
    stack: Vec<Container>,
    lists: usize,
    items: Vec<usize>,
}

impl Containers {
    fn push(&mut self, c: Container) {
        match c {
            Container::Item(i) => self.items.push(i),
            Container::List => self.lists += 1,
            Container::Other => {}
        }
        self.stack.push(c);
    }

    fn pop(&mut self) {
        match self.stack.pop() {
            Some(Container::Item(_)) => {
                self.items.pop();
            }
            Some(Container::List) => self.lists -= 1,
            _ => {}
        }
    }

    /// The nearest enclosing list item.
    fn item(&self) -> Option<usize> {
        self.items.last().copied()
    }

    /// The innermost container, when it is a list item.
    fn innermost_item(&self) -> Option<usize> {
        match self.stack.last() {
            Some(Container::Item(i)) => Some(*i),
            _ => None,
        }
    }
}

/// Blocks not yet handed on: a block is handed on once it and every block before it are
/// complete, so the consumer sees them in source order while a document's worth of text never
/// piles up (only an open list item holds back the blocks nested in it).
struct Pending {
    /// Index of `slots[0]`.
    base: usize,
    slots: std::collections::VecDeque<(Blk, bool)>,
}

impl Pending {
    fn get(&mut self, i: usize) -> Option<&mut Blk> {
        let k = i.checked_sub(self.base)?;
        self.slots.get_mut(k).map(|s| &mut s.0)
    }

    /// Block `i` is complete: hand on every complete block at the front.
    fn finish(&mut self, i: usize, sink: &mut impl FnMut(usize, &mut Blk)) {
        if let Some(slot) = i.checked_sub(self.base).and_then(|k| self.slots.get_mut(k)) {
            slot.1 = true;
        }
        self.hand_on(|complete| complete, sink);
    }

    /// The document ended: hand on whatever is left.
    fn flush(&mut self, sink: &mut impl FnMut(usize, &mut Blk)) {
        self.hand_on(|_| true, sink);
    }

    fn hand_on(&mut self, ready: impl Fn(bool) -> bool, sink: &mut impl FnMut(usize, &mut Blk)) {
        while self.slots.front().is_some_and(|s| ready(s.1)) {
            if let Some((mut b, _)) = self.slots.pop_front() {
                sink(self.base, &mut b);
            }
            self.base += 1;
        }
    }
}

/// Flatten `src` into blocks, handing each to `sink` with its index, in source order.
pub fn flatten(src: &str, mut sink: impl FnMut(usize, &mut Blk)) -> Pass {
    let mut pass = Pass::default();
    let mut pending = Pending {
        base: 0,
        slots: std::collections::VecDeque::new(),
    };
    let mut targets: Vec<Target> = Vec::new();
    let mut containers = Containers::default();
    let mut in_code: Option<usize> = None;
    let mut table: Option<(usize, bool)> = None; // (block index, in head)
    let mut cell: Option<Text> = None;
    let mut cell_row: Option<Row> = None;
    let mut pending_break = false;
    let mut html_block: Option<usize> = None;

    for (ev, range) in Parser::new_ext(src, options()).into_offset_iter() {
        let span = Span::new(range.start, range.end);
        match ev {
            Event::Start(tag) => match tag {
                Tag::Heading { level, .. } => {
                    let at = push(
                        &mut pass,
                        &mut pending,
                        Blk::new(Kind::Heading(level as u8), span),
                        &containers,
                    );
                    targets.push(Target::Block { at, own: true });
                }
                Tag::Paragraph => {
                    let item = containers.innermost_item();
                    match item.and_then(|i| pending.get(i).map(|b| (i, b))) {
                        Some((i, b)) => {
                            if !b.text.is_empty() {
                                b.text.push('\n');
                                pending_break = true;
                            }
                            targets.push(Target::Block { at: i, own: false });
                        }
                        None => {
                            let at = push(
                                &mut pass,
                                &mut pending,
                                Blk::new(Kind::Paragraph, span),
                                &containers,
                            );
                            targets.push(Target::Block { at, own: true });
                        }
                    }
                }
                Tag::Item => {
                    let depth = containers.lists.saturating_sub(1);
                    let mut b = Blk::new(Kind::Item, span);
                    b.depth = depth;
                    let at = push(&mut pass, &mut pending, b, &containers);
                    containers.push(Container::Item(at));
                    targets.push(Target::Block { at, own: true });
                }
                Tag::List(_) => containers.push(Container::List),
                Tag::BlockQuote(_) => containers.push(Container::Other),
                Tag::CodeBlock(kind) => {
                    let mut b = Blk::new(Kind::Code, span);
                    if let CodeBlockKind::Fenced(info) = kind {
                        b.lang = info
                            .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
                            .next()
                            .unwrap_or("")
                            .to_lowercase();
                    }
                    in_code = Some(push(&mut pass, &mut pending, b, &containers));
                    pass.code_spans.push(span);
                }
                Tag::HtmlBlock => {
                    let at = push(
                        &mut pass,
                        &mut pending,
                        Blk::new(Kind::Html, span),
                        &containers,
                    );
                    html_block = Some(at);
                }
                Tag::Table(_) => {
                    let mut b = Blk::new(Kind::Table, span);
                    b.table = Some(Table {
                        span,
                        ..Table::default()
                    });
                    let at = push(&mut pass, &mut pending, b, &containers);
                    table = Some((at, false));
                }
                Tag::TableHead => {
                    if let Some(t) = table.as_mut() {
                        t.1 = true;
                    }
                    // the head's cells come without a row of their own
                    cell_row = Some(Row {
                        span,
                        cells: Vec::new(),
                    });
                }
                Tag::TableRow => {
                    cell_row = Some(Row {
                        span,
                        cells: Vec::new(),
                    })
                }
                Tag::TableCell => {
                    cell = Some(Text {
                        text: String::new(),
                        span,
                    });
                    targets.push(Target::Cell);
                }
                _ => {}
            },
            Event::End(end) => match end {
                TagEnd::Heading(_) | TagEnd::Paragraph | TagEnd::Item => {
                    if let Some(Target::Block { at, own: true }) = targets.pop() {
                        pending.finish(at, &mut sink);
                    }
                    if matches!(end, TagEnd::Item) {
                        containers.pop();
                    }
                    pending_break = false;
                }
                TagEnd::List(_) | TagEnd::BlockQuote(_) => {
                    containers.pop();
                }
                TagEnd::CodeBlock => {
                    if let Some(i) = in_code.take() {
                        pending.finish(i, &mut sink);
                    }
                }
                TagEnd::HtmlBlock => {
                    if let Some(i) = html_block.take() {
                        if let Some(b) = pending.get(i) {
                            pass.html.push((b.text.clone(), b.span));
                        }
                        pending.finish(i, &mut sink);
                    }
                }
                TagEnd::TableCell => {
                    targets.pop();
                    if let (Some(mut c), Some(r)) = (cell.take(), cell_row.as_mut()) {
                        c.text = c.text.trim().to_string();
                        r.cells.push(c);
                    }
                }
                TagEnd::TableHead => {
                    if let (Some((i, _)), Some(r)) = (table, cell_row.take()) {
                        if let Some(t) = pending.get(i).and_then(|b| b.table.as_mut()) {
                            t.headers = r.cells.iter().map(|c| c.text.to_lowercase()).collect();
                        }
                    }
                    if let Some(t) = table.as_mut() {
                        t.1 = false;
                    }
                }
                TagEnd::TableRow => {
                    if let (Some((i, false)), Some(r)) = (table, cell_row.take()) {
                        if let Some(t) = pending.get(i).and_then(|b| b.table.as_mut()) {
                            t.rows.push(r);
                        }
                    }
                }
                TagEnd::Table => {
                    if let Some((i, _)) = table.take() {
                        pending.finish(i, &mut sink);
                    }
                }
                _ => {}
            },
            Event::Text(t) => {
                if in_code.is_some() {
                    continue;
                }
                if let Some(b) = html_block.and_then(|i| pending.get(i)) {
                    b.text.push_str(&t);
                    continue;
                }
                append(
                    &mut pending,
                    &targets,
                    &mut cell,
                    &t,
                    span,
                    &mut pending_break,
                );
            }
            Event::Code(t) => {
                pass.code_spans.push(span);
                append(
                    &mut pending,
                    &targets,
                    &mut cell,
                    &t,
                    span,
                    &mut pending_break,
                );
            }
            Event::InlineHtml(t) | Event::Html(t) => {
                if let Some(b) = html_block.and_then(|i| pending.get(i)) {
                    b.text.push_str(&t);
                    continue;
                }
                pass.html.push((t.to_string(), span));
                append(
                    &mut pending,
                    &targets,
                    &mut cell,
                    &t,
                    span,
                    &mut pending_break,
                );
            }
            Event::SoftBreak | Event::HardBreak => {
                append(
                    &mut pending,
                    &targets,
                    &mut cell,
                    "\n",
                    span,
                    &mut pending_break,
                );
                pending_break = true;
            }
            Event::TaskListMarker(done) => {
                let m = if done { "[x] " } else { "[ ] " };
                append(
                    &mut pending,
                    &targets,
                    &mut cell,
                    m,
                    span,
                    &mut pending_break,
                );
            }
            _ => {}
        }
    }
    pending.flush(&mut sink);
    pass
}

fn push(pass: &mut Pass, pending: &mut Pending, mut b: Blk, containers: &Containers) -> usize {
    b.parent = containers.item();
    pass.outline.push((b.kind, b.span));
    pending.slots.push_back((b, false));
    pass.outline.len() - 1
}

fn append(
    pending: &mut Pending,
    targets: &[Target],
    cell: &mut Option<Text>,
    s: &str,
    span: Span,
    pending_break: &mut bool,
) {
    match targets.last() {
        Some(Target::Block { at, .. }) => {
            let Some(b) = pending.get(*at) else { return };
            if b.first_line.is_none() {
                if b.kind == Kind::Item && b.text.capacity() == 0 {
                    b.text
                        .reserve(b.span.end.saturating_sub(span.start).min(512));
                }
                b.first_line = Some((b.text.len(), span.start));
            } else if *pending_break && s != "\n" {
                b.more_lines.push((b.text.len(), span.start));
                *pending_break = false;
            }
            b.text.push_str(s);
        }
        Some(Target::Cell) => {
            if let Some(c) = cell.as_mut() {
                c.text.push_str(if s == "\n" { " " } else { s });
            }
        }
        None => {}
    }
}
