// The boxes on a looked-at photo's preview, and the ways to change them (look.js owns the rest).
//   - a tap or a click on a box, or Enter / Space on it, covers or uncovers it;
//   - the "Cover an area" button turns on drawing: then a drag across the photo adds a box, and the
//     keyboard can add one too (arrow keys move a new box, Shift and arrow keys change its size,
//     Enter covers it).  It is off to start with, so a finger on the photo scrolls the page as usual.
// Boxes are in the photo's pixels as shown; nothing here talks to a worker.

const SVG = "http://www.w3.org/2000/svg";
export const COVER_COLOUR = "#000000"; // one solid colour: never a blur, which can be undone
const MIN_DRAG = 8; // px on screen: a shorter drag is a tap
const STEP = 0.02; // of the photo's longer side: one arrow key press
const KEY_HELP = "The arrow keys move the new box, Shift and the arrow keys change its size, "
  + "Enter covers that part, Escape stops adding boxes.";

/**
 * Draw `photo.boxes` on its preview (`photo.item`'s img.preview) and keep them in step with taps, drags
 * and keys; `changed()` is called after every change.  Call again after boxes change elsewhere.
 */
export function showBoxes(photo, changed) {
  const preview = photo.item.querySelector("img.preview");
  if (!preview) return;
  if (!photo.editor) photo.editor = makeEditor(photo, preview, changed);
  redraw(photo);
}

function makeEditor(photo, preview, changed) {
  const frame = document.createElement("div");
  frame.className = "look-frame";
  preview.replaceWith(frame);
  frame.append(preview);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "look-boxes");
  svg.setAttribute("viewBox", `0 0 ${photo.size[0]} ${photo.size[1]}`);
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet"); // lines up with the preview's object-fit: contain
  svg.setAttribute("role", "group");
  svg.id = `${photo.item.id}-boxes`;
  frame.append(svg);

  const tools = document.createElement("div");
  tools.className = "look-tools";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button cover-area";
  button.textContent = "Cover an area";
  button.setAttribute("aria-pressed", "false");
  button.setAttribute("aria-controls", svg.id);
  const hint = document.createElement("p");
  hint.className = "look-status cover-hint";
  hint.id = `${photo.item.id}-cover-hint`;
  const keyHelp = document.createElement("p"); // shown while the photo has the keyboard's focus
  keyHelp.className = "look-status key-help";
  keyHelp.textContent = `With the keyboard: ${KEY_HELP.charAt(0).toLowerCase()}${KEY_HELP.slice(1)}`;
  keyHelp.hidden = true;
  const said = document.createElement("p"); // what just happened, read out by screen readers
  said.className = "visually-hidden";
  said.setAttribute("role", "status");
  tools.append(button, hint, keyHelp, said);
  frame.after(tools);

  const editor = { frame, svg, button, hint, keyHelp, said, drawing: false, draft: null, changed };
  // listened for on the frame: Chromium makes an SVG element with focus listeners of its own a keyboard stop
  frame.addEventListener("focusin", (event) => {
    keyHelp.hidden = !(event.target === svg && editor.drawing && svg.matches(":focus-visible"));
  });
  frame.addEventListener("focusout", () => { keyHelp.hidden = true; });
  button.addEventListener("click", () => setDrawing(photo, !editor.drawing));
  dragToCover(photo, editor);
  keysToCover(photo, editor);
  photo.item.dataset.coverArea = "off";
  describeSurface(editor);
  return editor;
}

function setDrawing(photo, on) {
  const editor = photo.editor;
  editor.drawing = on;
  editor.button.setAttribute("aria-pressed", on ? "true" : "false");
  editor.frame.classList.toggle("drawing", on);
  photo.item.dataset.coverArea = on ? "on" : "off";
  editor.hint.textContent = on
    ? "Cover an area is on: drag across the photo to cover part of it. "
      + "Tap “Cover an area” again to scroll the page with your finger."
    : "";
  if (!on) dropDraft(photo);
  describeSurface(editor);
  if (on) editor.svg.focus({ preventScroll: true }); // keys go to the photo; a screen reader reads what they do
}

/** The drawing surface is a keyboard stop only while drawing is on, and says what keys do. */
function describeSurface(editor) {
  if (editor.drawing) {
    editor.svg.setAttribute("tabindex", "0");
    editor.svg.setAttribute("aria-label", `Photo: cover an area. ${KEY_HELP}`);
  } else {
    editor.svg.removeAttribute("tabindex");
    editor.svg.setAttribute("aria-label", "Found faces and words: each box is a button that covers or uncovers it");
  }
}

// ---------------------------------------------------------------- the boxes

function redraw(photo) {
  const { svg } = photo.editor;
  for (const old of svg.querySelectorAll("rect.look-box")) old.remove();
  const counts = { face: 0, word: 0, drawn: 0 };
  const first = svg.querySelector("rect.look-draft");
  photo.boxes.forEach((box, index) => {
    box.number = ++counts[box.kind];
    const rect = document.createElementNS(SVG, "rect");
    place(rect, box.box);
    rect.setAttribute("tabindex", "0");
    rect.setAttribute("role", "button");
    rect.dataset.index = String(index);
    const flip = (event) => {
      event.stopPropagation();
      box.covered = !box.covered;
      paint(rect, box);
      countCovered(photo);
      photo.editor.changed();
    };
    rect.addEventListener("click", flip);
    rect.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        flip(event);
      }
    });
    paint(rect, box);
    svg.insertBefore(rect, first);
  });
  countCovered(photo);
}

function place(rect, [left, top, right, bottom]) {
  rect.setAttribute("x", left);
  rect.setAttribute("y", top);
  rect.setAttribute("width", Math.max(1, right - left));
  rect.setAttribute("height", Math.max(1, bottom - top));
}

function paint(rect, box) {
  rect.setAttribute("class", `look-box ${box.kind} ${box.covered ? "covered" : "open"}`);
  rect.setAttribute("fill", box.covered ? COVER_COLOUR : "transparent");
  rect.setAttribute("aria-pressed", box.covered ? "true" : "false");
  rect.setAttribute("aria-label", `${name(box)}, ${box.covered ? "covered" : "not covered"}`);
}

/** What a box is called to a screen reader: "face 1", "words 2: HIGH STREET", "area 1 you added". */
function name(box) {
  if (box.kind === "face") return `face ${box.number}`;
  if (box.kind === "word") return `words ${box.number}: ${box.text}`;
  return `area ${box.number} you added`;
}

function countCovered(photo) {
  photo.item.dataset.covered = String(photo.boxes.filter((box) => box.covered).length);
}

function addBox(photo, box) {
  photo.boxes.push({ kind: "drawn", box: box.map(Math.round), label: "An area you covered", covered: true });
  redraw(photo);
  const added = photo.boxes.filter((b) => b.kind === "drawn").length;
  photo.editor.said.textContent = `Area ${added} covered.`;
  photo.editor.changed();
}

// ---------------------------------------------------------------- adding a box by dragging

function dragToCover(photo, editor) {
  const { svg } = editor;
  let start = null; // where the finger or mouse went down, while drawing is on
  let ghost = null; // the box being dragged out, once the pointer has moved far enough to be a drag
  const at = (event) => {
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(svg.getScreenCTM().inverse());
    const [width, height] = photo.size;
    return [Math.min(Math.max(point.x, 0), width), Math.min(Math.max(point.y, 0), height)];
  };
  svg.addEventListener("pointerdown", (event) => {
    if (!editor.drawing) return; // drawing is off: a finger scrolls the page
    start = { point: at(event), x: event.clientX, y: event.clientY, pointer: event.pointerId };
    event.preventDefault();
  });
  svg.addEventListener("pointermove", (event) => {
    if (!start || event.pointerId !== start.pointer) return;
    if (!ghost) {
      // still a tap (which a box under it takes as cover / uncover) until it has moved this far
      if (Math.hypot(event.clientX - start.x, event.clientY - start.y) < MIN_DRAG) return;
      svg.setPointerCapture(event.pointerId);
      ghost = document.createElementNS(SVG, "rect");
      ghost.setAttribute("class", "look-ghost");
      ghost.setAttribute("fill", COVER_COLOUR);
      svg.append(ghost);
    }
    const [x, y] = at(event);
    place(ghost, [Math.min(x, start.point[0]), Math.min(y, start.point[1]),
      Math.max(x, start.point[0]), Math.max(y, start.point[1])]);
  });
  const finish = (event) => {
    if (!start || event.pointerId !== start.pointer) return;
    const [x, y] = at(event);
    const from = start.point;
    const dragged = Boolean(ghost);
    start = null;
    if (ghost) ghost.remove();
    ghost = null;
    if (event.type !== "pointerup" || !dragged) return;
    addBox(photo, [Math.min(x, from[0]), Math.min(y, from[1]), Math.max(x, from[0]), Math.max(y, from[1])]);
  };
  svg.addEventListener("pointerup", finish);
  svg.addEventListener("pointercancel", finish);
}

// ---------------------------------------------------------------- adding a box with the keyboard

const MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

function keysToCover(photo, editor) {
  editor.svg.addEventListener("keydown", (event) => {
    if (event.target !== editor.svg || !editor.drawing) return; // keys on a box are the box's own
    const [width, height] = photo.size;
    const step = Math.max(1, Math.round(STEP * Math.max(width, height)));
    if (event.key in MOVES) {
      event.preventDefault(); // the arrows move the box, not the page
      if (!editor.draft) {
        startDraft(photo);
        return;
      }
      const [dx, dy] = MOVES[event.key];
      const d = editor.draft;
      if (event.shiftKey) {
        d.w = clamp(d.w + dx * step, step, width - d.x);
        d.h = clamp(d.h + dy * step, step, height - d.y);
      } else {
        d.x = clamp(d.x + dx * step, 0, width - d.w);
        d.y = clamp(d.y + dy * step, 0, height - d.h);
      }
      drawDraft(photo);
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      if (!editor.draft) {
        startDraft(photo);
        return;
      }
      const { x, y, w, h } = editor.draft;
      dropDraft(photo);
      addBox(photo, [x, y, x + w, y + h]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (editor.draft) {
        dropDraft(photo);
        editor.said.textContent = "The new box was taken away.";
      } else {
        setDrawing(photo, false);
        editor.button.focus();
      }
    }
  });
}

/** A new box in the middle of the photo, a quarter of its size, shown dashed until Enter covers it. */
function startDraft(photo) {
  const [width, height] = photo.size;
  const w = Math.max(1, Math.round(width / 4));
  const h = Math.max(1, Math.round(height / 4));
  photo.editor.draft = { x: Math.round((width - w) / 2), y: Math.round((height - h) / 2), w, h };
  drawDraft(photo);
  photo.editor.said.textContent = `A new box is in the middle of the photo. ${KEY_HELP}`;
}

function drawDraft(photo) {
  const { svg, draft } = photo.editor;
  let rect = svg.querySelector("rect.look-draft");
  if (!rect) {
    rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("class", "look-draft");
    rect.setAttribute("fill", "transparent");
    rect.setAttribute("aria-hidden", "true");
    svg.append(rect);
  }
  place(rect, [draft.x, draft.y, draft.x + draft.w, draft.y + draft.h]);
}

function dropDraft(photo) {
  photo.editor.draft = null;
  const rect = photo.editor.svg.querySelector("rect.look-draft");
  if (rect) rect.remove();
}

function clamp(value, low, high) {
  return Math.min(Math.max(value, low), Math.max(low, high));
}
