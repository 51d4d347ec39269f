//! `screencap -p` for the virtual phone: the current screen's uiautomator nodes drawn as grey boxes at a
//! quarter of the screen size, encoded as PNG ([`super::png`]). No text is drawn, so a typed value can
//! never show up in a screenshot.

use super::png;
use super::xml::SCREEN;
use crate::ui::{Bounds, UiNode, UiTree};

/// Screen pixels per screenshot pixel.
pub(crate) const SCALE: i32 = 4;

/// Background grey.
pub(crate) const BACKGROUND: u8 = 0xF4;
/// Grey of a text label.
pub(crate) const LABEL: u8 = 0xD8;
/// Grey of a button.
pub(crate) const BUTTON: u8 = 0x60;
/// Grey of a check box.
pub(crate) const CHECK: u8 = 0xA0;
/// Grey of an input field.
pub(crate) const FIELD: u8 = 0xFF;
/// Outline of a field (black when focused).
pub(crate) const FIELD_EDGE: u8 = 0x90;
/// Outline of the focused field.
pub(crate) const FOCUS_EDGE: u8 = 0x00;
/// Grey of a full-screen container (launcher workspace, app root).
pub(crate) const CONTAINER: u8 = 0xE8;

/// Width and height of a screenshot.
pub(crate) fn size() -> (u32, u32) {
    let w = (SCREEN.x2 - SCREEN.x1) / SCALE;
    let h = (SCREEN.y2 - SCREEN.y1) / SCALE;
    (w.max(1) as u32, h.max(1) as u32)
}

struct Canvas {
    w: i32,
    h: i32,
    px: Vec<u8>,
}

impl Canvas {
    fn fill(&mut self, b: Bounds, grey: u8) {
        let (x1, y1) = (b.x1 / SCALE, b.y1 / SCALE);
        let (x2, y2) = (b.x2 / SCALE, b.y2 / SCALE);
        for y in y1.max(0)..y2.min(self.h) {
            for x in x1.max(0)..x2.min(self.w) {
                self.px[(y * self.w + x) as usize] = grey;
            }
        }
    }

    fn outline(&mut self, b: Bounds, grey: u8, thick: i32) {
        let t = thick * SCALE;
        let edge = |x1, y1, x2, y2| Bounds { x1, y1, x2, y2 };
        self.fill(edge(b.x1, b.y1, b.x2, b.y1 + t), grey);
        self.fill(edge(b.x1, b.y2 - t, b.x2, b.y2), grey);
        self.fill(edge(b.x1, b.y1, b.x1 + t, b.y2), grey);
        self.fill(edge(b.x2 - t, b.y1, b.x2, b.y2), grey);
    }

    fn node(&mut self, n: &UiNode) {
        let class = n.class.rsplit('.').next().unwrap_or_default();
        match class {
            "EditText" => {
                self.fill(n.bounds, FIELD);
                if n.focused {
                    self.outline(n.bounds, FOCUS_EDGE, 2);
                } else {
                    self.outline(n.bounds, FIELD_EDGE, 1);
                }
            }
            "Button" => self.fill(n.bounds, BUTTON),
            "CheckBox" => self.fill(n.bounds, CHECK),
            "TextView" => self.fill(n.bounds, LABEL),
            _ if n.bounds == SCREEN => self.fill(n.bounds, CONTAINER),
            _ => self.fill(n.bounds, LABEL),
        }
    }
}

/// The pixels of a screen (row-major greyscale, [`size`]).
pub(crate) fn render(tree: &UiTree) -> Vec<u8> {
    let (w, h) = size();
    let mut c = Canvas {
        w: w as i32,
        h: h as i32,
        px: vec![BACKGROUND; (w * h) as usize],
    };
    for n in &tree.nodes {
        c.node(n);
    }
    c.px
}

/// A PNG screenshot of the screen described by uiautomator XML (an unreadable hierarchy gives a blank
/// screen).
pub(crate) fn screenshot(xml: &str) -> Vec<u8> {
    let tree = UiTree::parse(xml).unwrap_or_default();
    let (w, h) = size();
    png::encode_grey(w, h, &render(&tree))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::png_check::decode;

    const XML: &str = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">\
<node class=\"android.widget.FrameLayout\" bounds=\"[0,0][1080,2400]\">\
<node class=\"android.widget.TextView\" text=\"t\" bounds=\"[40,160][1040,280]\" />\
<node class=\"android.widget.EditText\" focused=\"true\" password=\"true\" text=\"••••\" bounds=\"[40,300][1040,420]\" />\
<node class=\"android.widget.EditText\" bounds=\"[40,440][1040,560]\" />\
<node class=\"android.widget.Button\" text=\"OK\" bounds=\"[40,580][1040,700]\" />\
</node></hierarchy>";

    fn px(d: &[u8], x: i32, y: i32) -> u8 {
        let (w, _) = size();
        d[(y / SCALE * w as i32 + x / SCALE) as usize]
    }

    #[test]
    fn nodes_are_drawn_as_boxes_in_their_greys_and_focus_is_outlined() {
        let png = screenshot(XML);
        let d = decode(&png).expect("decodes");
        assert_eq!((d.width, d.height), (270, 600));
        let p = &d.pixels;
        assert_eq!(px(p, 2, 2), CONTAINER);
        assert_eq!(px(p, 500, 200), LABEL);
        assert_eq!(px(p, 500, 360), FIELD, "field inside");
        assert_eq!(px(p, 41, 360), FOCUS_EDGE, "focused field outlined black");
        assert_eq!(px(p, 41, 500), FIELD_EDGE, "other field outlined grey");
        assert_eq!(px(p, 500, 640), BUTTON);
        assert_eq!(px(p, 500, 1500), CONTAINER);
    }

    #[test]
    fn unreadable_hierarchy_gives_a_blank_valid_png() {
        let d = decode(&screenshot("not xml")).expect("decodes");
        assert!(d.pixels.iter().all(|&g| g == BACKGROUND));
    }
}
