//! Reports of a run: the terminal table, JUnit XML, JSON, the Markdown and HTML
//! compatibility matrices, and sanitised peer-log excerpts.

pub mod sanitise;
pub mod terminal;
