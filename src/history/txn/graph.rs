//! The dependency graph: typed edges between transactions, strongly connected components
//! (Tarjan, iterative) and shortest paths restricted by edge kind and component.

use std::collections::VecDeque;

/// No value / no read (a placeholder in [`Edge`]).
pub const NONE: u32 = u32::MAX;

/// Why one transaction must come before another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// write-write: the later txn overwrote (appended after) the earlier one's write.
    Ww,
    /// write-read: the later txn read the earlier one's write.
    Wr,
    /// read-write (anti-dependency): the later txn overwrote the version the earlier one read.
    Rw,
    /// real time: the earlier txn completed before the later one was invoked.
    Rt,
}

impl Kind {
    pub fn bit(self) -> u8 {
        match self {
            Kind::Ww => 1,
            Kind::Wr => 2,
            Kind::Rw => 4,
            Kind::Rt => 8,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Kind::Ww => "ww",
            Kind::Wr => "wr",
            Kind::Rw => "rw",
            Kind::Rt => "realtime",
        }
    }
}

pub const WW: u8 = 1;
pub const WR: u8 = 2;
pub const RW: u8 = 4;
pub const RT: u8 = 8;

/// One edge with what it was inferred from (rendered by `explain`).
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    pub from: u32,
    pub to: u32,
    pub kind: Kind,
    /// The key (`NONE` for real-time edges).
    pub key: u32,
    /// ww: the earlier element; wr: the element read.
    pub v1: u32,
    /// ww, rw: the later element / value written by `to`.
    pub v2: u32,
    /// The read it rests on: (txn, micro-op index), or (`NONE`, `NONE`).
    pub read: (u32, u32),
}

/// Edges indexed by their source (compressed adjacency).
#[derive(Debug)]
pub struct Graph {
    pub edges: Vec<Edge>,
    start: Vec<u32>,
    order: Vec<u32>,
}

impl Graph {
    pub fn new(nodes: usize, edges: Vec<Edge>) -> Graph {
        let mut start = vec![0u32; nodes + 1];
        for e in &edges {
            start[e.from as usize + 1] += 1;
        }
        for i in 0..nodes {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut order = vec![0u32; edges.len()];
        for (i, e) in edges.iter().enumerate() {
            let slot = &mut fill[e.from as usize];
            order[*slot as usize] = i as u32;
            *slot += 1;
        }
        Graph {
            edges,
            start,
            order,
        }
    }

    pub fn nodes(&self) -> usize {
        self.start.len() - 1
    }

    /// Edge ids leaving `n`.
    pub fn out(&self, n: u32) -> &[u32] {
        &self.order[self.start[n as usize] as usize..self.start[n as usize + 1] as usize]
    }

    /// Strongly connected components over the edges whose kind is in `mask`: a component id
    /// per node and each component's size.
    pub fn scc(&self, mask: u8) -> (Vec<u32>, Vec<u32>) {
        let n = self.nodes();
        let mut index = vec![NONE; n];
        let mut low = vec![0u32; n];
        let mut on_stack = vec![false; n];
        let mut comp = vec![NONE; n];
        let mut sizes = Vec::new();
        let mut stack: Vec<u32> = Vec::new();
        let mut next = 0u32;
        // (node, position in its edge list)
        let mut call: Vec<(u32, usize)> = Vec::new();
        for root in 0..n as u32 {
            if index[root as usize] != NONE {
                continue;
            }
            call.push((root, 0));
            index[root as usize] = next;
            low[root as usize] = next;
            next += 1;
            stack.push(root);
            on_stack[root as usize] = true;
            while let Some(&mut (v, ref mut pos)) = call.last_mut() {
                let out = self.out(v);
                let mut descended = false;
                while *pos < out.len() {
                    let e = &self.edges[out[*pos] as usize];
                    *pos += 1;
                    if e.kind.bit() & mask == 0 {
                        continue;
                    }
                    let w = e.to;
                    if index[w as usize] == NONE {
                        index[w as usize] = next;
                        low[w as usize] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w as usize] = true;
                        call.push((w, 0));
                        descended = true;
                        break;
                    } else if on_stack[w as usize] {
                        low[v as usize] = low[v as usize].min(index[w as usize]);
                    }
                }
                if descended {
                    continue;
                }
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent as usize] = low[parent as usize].min(low[v as usize]);
                }
                if low[v as usize] == index[v as usize] {
                    let id = sizes.len() as u32;
                    let mut size = 0;
                    while let Some(w) = stack.pop() {
                        on_stack[w as usize] = false;
                        comp[w as usize] = id;
                        size += 1;
                        if w == v {
                            break;
                        }
                    }
                    sizes.push(size);
                }
            }
        }
        (comp, sizes)
    }
}

/// Breadth-first search state reused across searches (stamped, so no clearing).
pub struct Bfs {
    stamp: Vec<u32>,
    via: Vec<u32>,
    gen: u32,
    queue: VecDeque<u32>,
}

impl Bfs {
    pub fn new(nodes: usize) -> Bfs {
        Bfs {
            stamp: vec![0; nodes],
            via: vec![NONE; nodes],
            gen: 0,
            queue: VecDeque::new(),
        }
    }

    /// A shortest path (edge ids) from `src` to `dst` using edges whose kind is in `mask`,
    /// staying inside component `cid` of `comp`. `src == dst` gives the empty path.
    pub fn path(
        &mut self,
        g: &Graph,
        src: u32,
        dst: u32,
        mask: u8,
        comp: &[u32],
        cid: u32,
    ) -> Option<Vec<u32>> {
        if src == dst {
            return Some(Vec::new());
        }
        self.gen += 1;
        let gen = self.gen;
        self.queue.clear();
        self.stamp[src as usize] = gen;
        self.queue.push_back(src);
        while let Some(v) = self.queue.pop_front() {
            for &ei in g.out(v) {
                let e = &g.edges[ei as usize];
                let w = e.to;
                if e.kind.bit() & mask == 0
                    || comp[w as usize] != cid
                    || self.stamp[w as usize] == gen
                {
                    continue;
                }
                self.stamp[w as usize] = gen;
                self.via[w as usize] = ei;
                if w == dst {
                    let mut path = Vec::new();
                    let mut at = dst;
                    while at != src {
                        let ei = self.via[at as usize];
                        path.push(ei);
                        at = g.edges[ei as usize].from;
                    }
                    path.reverse();
                    return Some(path);
                }
                self.queue.push_back(w);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(from: u32, to: u32, kind: Kind) -> Edge {
        Edge {
            from,
            to,
            kind,
            key: 0,
            v1: NONE,
            v2: NONE,
            read: (NONE, NONE),
        }
    }

    #[test]
    fn scc_respects_the_mask() {
        let g = Graph::new(
            4,
            vec![
                e(0, 1, Kind::Ww),
                e(1, 0, Kind::Rw),
                e(2, 3, Kind::Wr),
                e(3, 2, Kind::Wr),
            ],
        );
        let (comp, sizes) = g.scc(WW | WR | RW);
        assert_eq!(comp[0], comp[1]);
        assert_eq!(comp[2], comp[3]);
        assert_ne!(comp[0], comp[2]);
        assert_eq!(sizes.iter().filter(|&&s| s == 2).count(), 2);
        let (comp, _) = g.scc(WW | WR);
        assert_ne!(comp[0], comp[1]);
        assert_eq!(comp[2], comp[3]);
    }

    #[test]
    fn bfs_finds_a_shortest_path_inside_the_component() {
        let g = Graph::new(
            4,
            vec![
                e(0, 1, Kind::Ww),
                e(1, 2, Kind::Ww),
                e(0, 2, Kind::Wr),
                e(2, 0, Kind::Rw),
                e(2, 3, Kind::Ww),
            ],
        );
        let (comp, _) = g.scc(WW | WR | RW);
        let mut b = Bfs::new(4);
        let p = b.path(&g, 0, 2, WW | WR, &comp, comp[0]).unwrap();
        assert_eq!(p, vec![2]);
        assert_eq!(b.path(&g, 0, 2, WW, &comp, comp[0]).unwrap().len(), 2);
        assert!(b.path(&g, 0, 3, WW | WR | RW, &comp, comp[0]).is_none());
        assert!(b.path(&g, 2, 0, WW, &comp, comp[0]).is_none());
    }
}
