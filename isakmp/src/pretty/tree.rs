use core::fmt;

/// One line of a field tree and the lines nested under it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Node {
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), children: Vec::new() }
    }

    /// A `label: value` leaf.
    pub fn field(label: &str, value: impl fmt::Display) -> Self {
        Self::new(format!("{label}: {value}"))
    }

    pub fn child(mut self, node: Node) -> Self {
        self.children.push(node);
        self
    }

    pub fn push(&mut self, node: Node) {
        self.children.push(node);
    }

    /// Renders the tree with four spaces of indentation per level.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out, 0);
        out
    }

    fn render_into(&self, out: &mut String, depth: usize) {
        for _ in 0..depth {
            out.push_str("    ");
        }
        out.push_str(&self.text);
        out.push('\n');
        for child in &self.children {
            child.render_into(out, depth + 1);
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}
