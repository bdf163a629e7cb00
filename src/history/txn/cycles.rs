//! Cycle search: strongly connected components first, then one shortest cycle per anomaly
//! class inside them, found by breadth-first search over the edge kinds the class allows.
//!
//! G0 is a cycle of ww edges, G1c of ww and wr edges (with at least one wr), G-single has
//! exactly one rw edge, G2-item at least two; a cycle through a real-time edge gets the
//! `-realtime` suffix. For an rw edge `a → b` inside a component: a ww/wr path from `b` back
//! to `a` closes a G-single; when there is none, every path back carries another rw edge, so
//! the shortest path over all kinds closes a G2-item.

use std::collections::BTreeMap;
use std::time::Instant;

use super::graph::{Bfs, Graph, Kind, RT, RW, WR, WW};

/// Shortest cycle found per class, with the number of components showing the class.
#[derive(Debug, Default)]
pub struct Cycles {
    /// class → (components where found, edge ids of the shortest cycle, in order)
    pub by_class: BTreeMap<&'static str, (usize, Vec<u32>)>,
    /// False when the deadline stopped the search.
    pub complete: bool,
}

impl Cycles {
    fn record(&mut self, class: &'static str, cycle: Vec<u32>) {
        let slot = self.by_class.entry(class).or_insert((0, Vec::new()));
        slot.0 += 1;
        if slot.1.is_empty() || cycle.len() < slot.1.len() {
            slot.1 = cycle;
        }
    }
}

/// The class a cycle (edge ids) belongs to.
pub fn classify(g: &Graph, cycle: &[u32]) -> &'static str {
    let kinds: Vec<Kind> = cycle.iter().map(|&e| g.edges[e as usize].kind).collect();
    let rw = kinds.iter().filter(|&&k| k == Kind::Rw).count();
    let rt = kinds.contains(&Kind::Rt);
    let base = match rw {
        0 if kinds.iter().all(|&k| k == Kind::Ww) => "G0",
        0 => "G1c",
        1 => "G-single",
        _ => "G2-item",
    };
    match (rt, base) {
        (false, b) => b,
        (true, "G0") => "G0-realtime",
        (true, "G1c") => "G1c-realtime",
        (true, "G-single") => "G-single-realtime",
        (true, _) => "G2-item-realtime",
    }
}

/// Find cycles; `realtime` also searches cycles through real-time edges.
pub fn search(g: &Graph, realtime: bool, deadline: Instant) -> Cycles {
    let mut out = Cycles {
        complete: true,
        ..Cycles::default()
    };
    let mut bfs = Bfs::new(g.nodes());
    // Closes the cycle of seed edge `e` with a path back inside component `cid` of `comp`.
    let close = |bfs: &mut Bfs, e: u32, mask: u8, comp: &[u32], cid: u32| {
        let edge = g.edges[e as usize];
        bfs.path(g, edge.to, edge.from, mask, comp, cid)
            .map(|mut p| {
                p.insert(0, e);
                p
            })
    };
    // G0 and G1c: one cycle per component of the restricted graph holding a seed edge.
    for (seed, mask) in [(Kind::Ww, WW), (Kind::Wr, WW | WR)] {
        let (comp, _) = g.scc(mask);
        let mut done = vec![false; comp.iter().map(|&c| c as usize + 1).max().unwrap_or(0)];
        for (ei, e) in g.edges.iter().enumerate() {
            let c = comp[e.from as usize];
            if e.kind != seed || c != comp[e.to as usize] || done[c as usize] {
                continue;
            }
            done[c as usize] = true;
            if let Some(cycle) = close(&mut bfs, ei as u32, mask, &comp, c) {
                let class = classify(g, &cycle);
                out.record(class, cycle);
            }
        }
    }
    // G-single and G2-item, per component of the ww/wr/rw graph.
    let (comp, _) = g.scc(WW | WR | RW);
    let ncomp = comp.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
    // per component: (G-single found, G2-item found, tries since G-single was found)
    let mut state = vec![(false, false, 0u32); ncomp];
    let mut tries = 0u32;
    for (ei, e) in g.edges.iter().enumerate() {
        let c = comp[e.from as usize];
        if e.kind != Kind::Rw || c != comp[e.to as usize] {
            continue;
        }
        let s = &mut state[c as usize];
        // Once a component shows G-single, a G2-item in it changes no verdict (every level
        // that forbids G2-item forbids G-single): a few more tries for the report, no more.
        if s.0 && (s.1 || s.2 >= 32) {
            continue;
        }
        tries += 1;
        if tries.is_multiple_of(64) && Instant::now() > deadline {
            out.complete = false;
            break;
        }
        if s.0 {
            s.2 += 1;
        }
        match close(&mut bfs, ei as u32, WW | WR, &comp, c) {
            Some(cycle) if !s.0 => {
                s.0 = true;
                out.record("G-single", cycle);
            }
            Some(_) => {}
            None if !s.1 => {
                if let Some(cycle) = close(&mut bfs, ei as u32, WW | WR | RW, &comp, c) {
                    s.1 = true;
                    let class = classify(g, &cycle);
                    out.record(class, cycle);
                }
            }
            None => {}
        }
    }
    if realtime && out.complete {
        let all = WW | WR | RW | RT;
        let (comp, _) = g.scc(all);
        let mut done = vec![false; comp.iter().map(|&c| c as usize + 1).max().unwrap_or(0)];
        for (ei, e) in g.edges.iter().enumerate() {
            let c = comp[e.from as usize];
            if e.kind != Kind::Rt || c != comp[e.to as usize] || done[c as usize] {
                continue;
            }
            done[c as usize] = true;
            if let Some(cycle) = close(&mut bfs, ei as u32, all, &comp, c) {
                let class = classify(g, &cycle);
                out.record(class, cycle);
            }
            if Instant::now() > deadline {
                out.complete = false;
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::graph::{Edge, NONE};
    use super::*;

    fn g(edges: &[(u32, u32, Kind)]) -> Graph {
        let n = edges.iter().map(|e| e.0.max(e.1) + 1).max().unwrap_or(0) as usize;
        Graph::new(
            n,
            edges
                .iter()
                .map(|&(from, to, kind)| Edge {
                    from,
                    to,
                    kind,
                    key: 0,
                    v1: NONE,
                    v2: NONE,
                    read: (NONE, NONE),
                })
                .collect(),
        )
    }

    fn classes(graph: &Graph, realtime: bool) -> Vec<&'static str> {
        let far = Instant::now() + std::time::Duration::from_secs(10);
        search(graph, realtime, far)
            .by_class
            .keys()
            .copied()
            .collect()
    }

    #[test]
    fn each_class_is_found_by_its_edge_kinds() {
        use Kind::*;
        assert_eq!(classes(&g(&[(0, 1, Ww), (1, 0, Ww)]), false), ["G0"]);
        assert_eq!(classes(&g(&[(0, 1, Ww), (1, 0, Wr)]), false), ["G1c"]);
        assert_eq!(classes(&g(&[(0, 1, Rw), (1, 0, Wr)]), false), ["G-single"]);
        assert_eq!(classes(&g(&[(0, 1, Rw), (1, 0, Rw)]), false), ["G2-item"]);
        // Real-time edges count only when asked for.
        assert!(classes(&g(&[(0, 1, Rt), (1, 0, Rw)]), false).is_empty());
        assert_eq!(
            classes(&g(&[(0, 1, Rt), (1, 0, Rw)]), true),
            ["G-single-realtime"]
        );
        // A component with both: the G-single through one rw edge, the G2-item through the
        // other rw edge whose only way back crosses a second rw edge.
        let both = g(&[(0, 1, Rw), (1, 0, Wr), (1, 2, Rw), (2, 0, Rw)]);
        assert_eq!(classes(&both, false), ["G-single", "G2-item"]);
        // Acyclic: nothing.
        assert!(classes(&g(&[(0, 1, Ww), (1, 2, Rw), (0, 2, Wr)]), false).is_empty());
    }
}
