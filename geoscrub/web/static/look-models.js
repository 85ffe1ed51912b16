// What the look worker does around the models: pixels in, boxes and characters out.
// Pure functions on plain arrays (no DOM, no runtime), in the order they run:
//   1. photo pixels  -> model inputs        (resizing is done by the worker's canvas)
//   2. text-box map  -> text boxes          (DB post-processing, as PP-OCR does it)
//   3. text box      -> angle and reading inputs (the box cut out straight, 48 px high; turned round
//                       when the angle model says the line is upside down)
//   4. reading output-> characters          (CTC: best character per step, repeats and blanks dropped)
//   5. face maps     -> face boxes          (CenterFace heat-map decoding, then overlap removal)
// Nothing here decides what a word means or how it is said: Python does that.

// ---------------------------------------------------------------- 1. model inputs

/** RGBA pixels -> planar float tensor data [3, h, w]: (value / 255 - 0.5) / 0.5, in BGR order (PP-OCR). */
export function ocrInput(rgba, width, height) {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0, p = 0; p < plane; p++, i += 4) {
    out[p] = rgba[i + 2] / 127.5 - 1;
    out[plane + p] = rgba[i + 1] / 127.5 - 1;
    out[2 * plane + p] = rgba[i] / 127.5 - 1;
  }
  return out;
}

/** RGBA pixels -> planar float tensor data [3, h, w] of raw 0-255 values in RGB order (CenterFace). */
export function faceInput(rgba, width, height) {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0, p = 0; p < plane; p++, i += 4) {
    out[p] = rgba[i];
    out[plane + p] = rgba[i + 1];
    out[2 * plane + p] = rgba[i + 2];
  }
  return out;
}

/**
 * The size the text-box model sees: the photo shrunk so its longer side is at most maxSide, each side
 * rounded to a multiple of 32 (stretching it a little, as rapidocr's text-box step does).
 */
export function modelSize(width, height, maxSide) {
  const ratio = Math.min(1, maxSide / Math.max(width, height));
  const round32 = (value) => Math.max(32, Math.round((value * ratio) / 32) * 32);
  return { width: round32(width), height: round32(height) };
}

/**
 * Where the face model sees the photo: shrunk so its longer side is at most maxSide, keeping its shape
 * (a stretched face is a worse-found face), at the top left of an input padded with black to multiples
 * of 32, as the command line's FaceFinder does.  {width, height}: the photo's part; {paddedWidth,
 * paddedHeight}: the whole input.  Boxes found inside map back to the photo by width / height alone.
 */
export function faceFrame(width, height, maxSide) {
  const ratio = Math.min(1, maxSide / Math.max(width, height));
  const w = Math.max(1, Math.round(width * ratio));
  const h = Math.max(1, Math.round(height * ratio));
  const up32 = (value) => Math.max(32, Math.ceil(value / 32) * 32);
  return { width: w, height: h, paddedWidth: up32(w), paddedHeight: up32(h) };
}

// ---------------------------------------------------------------- 2. text boxes (DB post-processing)

/**
 * The text-box model's probability map -> rotated rectangles around each line of text.
 * Returns [{center: [x, y], size: [w, h], axis: [ux, uy], score}] in map pixels; the axis runs along w.
 */
export function textBoxes(prob, width, height, options) {
  const { threshold = 0.3, boxThreshold = 0.5, unclipRatio = 1.6, maxCandidates = 1000, minSide = 3 } = options || {};
  const on = new Uint8Array(width * height);
  for (let i = 0; i < on.length; i++) on[i] = prob[i] > threshold ? 1 : 0;
  // dilate by a 2x2 square, as PP-OCR does, so touching letters join into one line
  const mask = new Uint8Array(on.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      mask[i] = on[i] || (x > 0 && on[i - 1]) || (y > 0 && on[i - width]) || (x > 0 && y > 0 && on[i - width - 1]) ? 1 : 0;
    }
  }
  const boxes = [];
  const label = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  for (let start = 0; start < mask.length && boxes.length < maxCandidates; start++) {
    if (!mask[start] || label[start]) continue;
    // one connected region (8 neighbours): its row extents for the hull, its mean probability for the score
    let top = 0;
    stack[top++] = start;
    label[start] = 1;
    const rowMin = new Map();
    const rowMax = new Map();
    let sum = 0;
    let count = 0;
    while (top) {
      const i = stack[--top];
      const x = i % width;
      const y = (i - x) / width;
      sum += prob[i];
      count++;
      if (!rowMin.has(y) || x < rowMin.get(y)) rowMin.set(y, x);
      if (!rowMax.has(y) || x > rowMax.get(y)) rowMax.set(y, x);
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const j = ny * width + nx;
          if (mask[j] && !label[j]) {
            label[j] = 1;
            stack[top++] = j;
          }
        }
      }
    }
    if (count < 4 || sum / count < boxThreshold) continue;
    const points = [];
    for (const [y, x0] of rowMin) {
      const x1 = rowMax.get(y) + 1;
      points.push([x0, y], [x1, y], [x0, y + 1], [x1, y + 1]);
    }
    const rect = minAreaRect(convexHull(points));
    if (Math.min(rect.size[0], rect.size[1]) < minSide) continue;
    // grow the box as PP-OCR's "unclip" does: the map marks only the middle of each letter
    const [w, h] = rect.size;
    const grow = (w * h * unclipRatio) / (2 * (w + h));
    rect.size = [w + 2 * grow, h + 2 * grow];
    if (Math.min(rect.size[0], rect.size[1]) < minSide + 2) continue;
    rect.score = sum / count;
    boxes.push(rect);
  }
  return boxes;
}

/** Convex hull of [x, y] points (monotone chain), anticlockwise. */
export function convexHull(points) {
  const sorted = points.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (sorted.length < 3) return sorted;
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper = [];
  for (let i = sorted.length - 1; i >= 0; i--) {
    const p = sorted[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** The smallest rectangle around a convex hull (one side lies on a hull edge). */
export function minAreaRect(hull) {
  let best = null;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i];
    const b = hull[(i + 1) % hull.length];
    const length = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (length === 0) continue;
    const ux = (b[0] - a[0]) / length;
    const uy = (b[1] - a[1]) / length;
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (const p of hull) {
      const u = p[0] * ux + p[1] * uy;
      const v = -p[0] * uy + p[1] * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (!best || area < best.area) {
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = { area, center: [cu * ux - cv * uy, cu * uy + cv * ux], size: [maxU - minU, maxV - minV], axis: [ux, uy] };
    }
  }
  if (!best) return { center: hull[0] ? hull[0].slice() : [0, 0], size: [0, 0], axis: [1, 0] };
  delete best.area;
  return upright(best);
}

/** The same rectangle described with its axis pointing right (the reading direction of level text). */
function upright(rect) {
  let [ux, uy] = rect.axis;
  let [w, h] = rect.size;
  if (Math.abs(ux) < Math.abs(uy)) {
    // the long-ways axis is nearer vertical: turn it a quarter so the axis is nearer horizontal
    [ux, uy] = [uy, -ux];
    [w, h] = [h, w];
  }
  if (ux < 0) [ux, uy] = [-ux, -uy];
  return { center: rect.center, size: [w, h], axis: [ux, uy] };
}

/** The four corners of a rectangle (top-left, top-right, bottom-right, bottom-left as read). */
export function corners(rect) {
  const [cx, cy] = rect.center;
  const [w, h] = rect.size;
  const [ux, uy] = rect.axis;
  const vx = -uy, vy = ux; // down the page
  const at = (a, b) => [cx + ux * a + vx * b, cy + uy * a + vy * b];
  return [at(-w / 2, -h / 2), at(w / 2, -h / 2), at(w / 2, h / 2), at(-w / 2, h / 2)];
}

// ---------------------------------------------------------------- 3. reading input

/**
 * The pixels inside a rotated text box, cut out straight at 48 px high, as the reading model's input
 * [3, 48, width] (BGR, -1..1, padded on the right to at least minWidth).  Text standing upright
 * (a box 1.5 times higher than wide) is turned a quarter to the left first, as PP-OCR does.
 */
export function readingInput(rgba, width, height, rect, options) {
  const { lineHeight = 48, minWidth = 320, maxWidth = 3200 } = options || {};
  let [ux, uy] = rect.axis;
  let vx = -uy, vy = ux;
  let [w, h] = rect.size;
  if (h / w >= 1.5) {
    [ux, uy, vx, vy] = [vx, vy, -ux, -uy];
    [w, h] = [h, w];
  }
  const outW = Math.max(1, Math.min(maxWidth, Math.ceil((lineHeight * w) / h)));
  const tensorW = Math.max(minWidth, outW);
  const plane = lineHeight * tensorW;
  const out = new Float32Array(3 * plane);
  const [cx, cy] = rect.center;
  const x0 = cx - (ux * w) / 2 - (vx * h) / 2;
  const y0 = cy - (uy * w) / 2 - (vy * h) / 2;
  const stepU = w / outW;
  const stepV = h / lineHeight;
  const samples = Math.max(1, Math.min(4, Math.floor(Math.min(stepU, stepV)))); // average when shrinking
  for (let Y = 0; Y < lineHeight; Y++) {
    for (let X = 0; X < outW; X++) {
      let r = 0, g = 0, b = 0;
      for (let sy = 0; sy < samples; sy++) {
        const v = (Y + (sy + 0.5) / samples) * stepV;
        for (let sx = 0; sx < samples; sx++) {
          const u = (X + (sx + 0.5) / samples) * stepU;
          const px = x0 + ux * u + vx * v - 0.5;
          const py = y0 + uy * u + vy * v - 0.5;
          const sample = bilinear(rgba, width, height, px, py);
          r += sample[0];
          g += sample[1];
          b += sample[2];
        }
      }
      const n = samples * samples * 127.5;
      const p = Y * tensorW + X;
      out[p] = b / n - 1;
      out[plane + p] = g / n - 1;
      out[2 * plane + p] = r / n - 1;
    }
  }
  return { data: out, width: tensorW };
}

/**
 * The text-angle model's input for a line: the same straight cut as readingInput, 48 x up to 192 px,
 * padded on the right to 192 (PP-OCR's classifier input, as rapidocr makes it).
 */
export function angleInput(rgba, width, height, rect, options) {
  const { height: lineHeight = 48, width: tensorWidth = 192 } = options || {};
  return readingInput(rgba, width, height, rect, { lineHeight, minWidth: tensorWidth, maxWidth: tensorWidth });
}

/** Whether the text-angle model's two scores ["0", "180"] say the line is upside down (as rapidocr decides). */
export function upsideDown(scores, threshold) {
  return scores[1] > scores[0] && scores[1] > threshold;
}

/** The same rectangle read the other way round: the cut of it comes out turned 180 degrees. */
export function turnedRound(rect) {
  return { ...rect, axis: [-rect.axis[0], -rect.axis[1]] };
}

const _sample = [0, 0, 0];
function bilinear(rgba, width, height, x, y) {
  const cx = Math.min(Math.max(x, 0), width - 1);
  const cy = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.floor(cx), y0 = Math.floor(cy);
  const x1 = Math.min(x0 + 1, width - 1), y1 = Math.min(y0 + 1, height - 1);
  const fx = cx - x0, fy = cy - y0;
  for (let c = 0; c < 3; c++) {
    const a = rgba[(y0 * width + x0) * 4 + c], b = rgba[(y0 * width + x1) * 4 + c];
    const d = rgba[(y1 * width + x0) * 4 + c], e = rgba[(y1 * width + x1) * 4 + c];
    _sample[c] = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
  }
  return _sample;
}

// ---------------------------------------------------------------- 4. characters (CTC decoding)

/**
 * The reading model's output [steps, classes] -> {text, score}.  Class 0 is the CTC blank, classes
 * 1..n are the characters in order, and the last is a space (as PP-OCR builds the list).
 */
export function ctcDecode(probs, steps, classes, characters) {
  let text = "";
  let total = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bestP = -Infinity;
    const row = t * classes;
    for (let c = 0; c < classes; c++) {
      const p = probs[row + c];
      if (p > bestP) { bestP = p; best = c; }
    }
    if (best !== 0 && best !== previous) {
      text += best <= characters.length ? characters[best - 1] : " ";
      total += bestP;
      kept++;
    }
    previous = best;
  }
  return { text, score: kept ? total / kept : 0 };
}

// ---------------------------------------------------------------- 5. faces (CenterFace)

/**
 * CenterFace's four outputs (heat map [h, w], scale [2, h, w], offset [2, h, w]) at 1/4 of the input
 * size -> face boxes [{box: [left, top, right, bottom], score}] in input pixels, overlaps removed.
 */
export function faceBoxes(heat, scale, offset, mapW, mapH, inputW, inputH, options) {
  const { threshold = 0.5, overlap = 0.3 } = options || {};
  const plane = mapW * mapH;
  const found = [];
  for (let i = 0; i < plane; i++) {
    const score = heat[i];
    if (!(score > threshold)) continue;
    const x = i % mapW;
    const y = (i - x) / mapW;
    const boxH = Math.exp(scale[i]) * 4;
    const boxW = Math.exp(scale[plane + i]) * 4;
    const left = Math.min(Math.max(0, (x + offset[plane + i] + 0.5) * 4 - boxW / 2), inputW);
    const top = Math.min(Math.max(0, (y + offset[i] + 0.5) * 4 - boxH / 2), inputH);
    found.push({ box: [left, top, Math.min(left + boxW, inputW), Math.min(top + boxH, inputH)], score });
  }
  return suppressOverlaps(found, overlap);
}

/** Keep the best-scored box of each group overlapping by at least `overlap` (intersection over union). */
export function suppressOverlaps(found, overlap) {
  const order = found.slice().sort((a, b) => b.score - a.score);
  const kept = [];
  for (const candidate of order) {
    if (kept.every((k) => iou(k.box, candidate.box) < overlap)) kept.push(candidate);
  }
  return kept;
}

function iou(a, b) {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}
