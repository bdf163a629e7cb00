//! The anomalies of a serializability check as HTML: each cycle drawn as a graph
//! (transactions on a circle, one labelled arrow per dependency edge) with its sentences,
//! rendered by the minijinja template `templates/history-cycles.html.j2`.

use serde::Serialize;

use super::Anomaly;

const TEMPLATE: &str = include_str!("../../../templates/history-cycles.html.j2");

/// Most transactions of one cycle drawn (longer cycles are listed, not drawn).
const MAX_NODES: usize = 16;

#[derive(Serialize)]
struct Node {
    id: String,
    label: String,
    x: String,
    y: String,
}

#[derive(Serialize)]
struct Edge {
    kind: String,
    d: String,
    lx: String,
    ly: String,
    step: String,
}

#[derive(Serialize)]
struct Drawn {
    class: String,
    forbidden: bool,
    seen: String,
    size: f64,
    radius: f64,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    steps: Vec<String>,
}

/// The HTML section for `anomalies` (empty when there are none).
pub fn section(level: &str, anomalies: &[Anomaly]) -> String {
    let drawn: Vec<Drawn> = anomalies.iter().map(draw).collect();
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    if env.add_template("cycles.html", TEMPLATE).is_err() {
        return String::new();
    }
    env.get_template("cycles.html")
        .and_then(|t| t.render(minijinja::context! { level => level, anomalies => drawn }))
        .unwrap_or_default()
}

fn draw(a: &Anomaly) -> Drawn {
    let n = a.edges.len();
    let seen = if n == 0 {
        format!("seen {} time(s)", a.count)
    } else {
        format!("cycles in {} component(s)", a.count)
    };
    let mut out = Drawn {
        class: a.class.clone(),
        forbidden: a.forbidden,
        seen,
        size: 0.0,
        radius: 26.0,
        nodes: Vec::new(),
        edges: Vec::new(),
        steps: a.steps.clone(),
    };
    if n == 0 || n > MAX_NODES {
        return out;
    }
    let ring = 70.0 + 22.0 * n as f64;
    let size = 2.0 * (ring + 60.0);
    let c = size / 2.0;
    out.size = size;
    // Node i at angle i·2π/n, starting at the top, clockwise.
    let pos: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let t = -std::f64::consts::FRAC_PI_2 + i as f64 * std::f64::consts::TAU / n as f64;
            (c + ring * t.cos(), c + ring * t.sin())
        })
        .collect();
    for (i, (from, _, _)) in a.edges.iter().enumerate() {
        out.nodes.push(Node {
            id: from.clone(),
            label: short(from),
            x: f(pos[i].0),
            y: f(pos[i].1),
        });
    }
    for (i, (_, _, kind)) in a.edges.iter().enumerate() {
        let (p, q) = (pos[i], pos[(i + 1) % n]);
        // A curve bending away from the centre (so the two edges of a 2-cycle stay apart),
        // ending at the target circle's rim.
        let (mx, my) = ((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0);
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (nx, ny) = (dy / len, -dx / len);
        let bend = 0.25 * len;
        let ctrl = (mx + nx * bend, my + ny * bend);
        let (sx, sy) = toward(p, ctrl, out.radius);
        let (ex, ey) = toward(q, ctrl, out.radius + 2.0);
        out.edges.push(Edge {
            kind: kind.clone(),
            d: format!(
                "M {} {} Q {} {} {} {}",
                f(sx),
                f(sy),
                f(ctrl.0),
                f(ctrl.1),
                f(ex),
                f(ey)
            ),
            lx: f(0.25 * p.0 + 0.5 * ctrl.0 + 0.25 * q.0),
            ly: f(0.25 * p.1 + 0.5 * ctrl.1 + 0.25 * q.1 - 4.0),
            step: a.steps.get(i).cloned().unwrap_or_default(),
        });
    }
    out
}

/// The point `r` away from `p` in the direction of `to`.
fn toward(p: (f64, f64), to: (f64, f64), r: f64) -> (f64, f64) {
    let (dx, dy) = (to.0 - p.0, to.1 - p.1);
    let len = (dx * dx + dy * dy).sqrt().max(1e-9);
    (p.0 + dx / len * r, p.1 + dy / len * r)
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// `T12`, or the op id cut to fit a node.
fn short(id: &str) -> String {
    let label = if id.bytes().all(|b| b.is_ascii_digit()) {
        format!("T{id}")
    } else {
        id.to_string()
    };
    if label.chars().count() > 9 {
        let tail: String = label
            .chars()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    } else {
        label
    }
}
