//! Tesseract in a bounded pool of its own threads.
//!
//! A Tesseract engine is movable but not shareable, takes a noticeable time to start, and holds
//! tens of megabytes; so a fixed number of worker threads each keep one engine (`jpn`) for their
//! lifetime and take boxes from one queue. The gateway's async runtime never runs OCR itself,
//! and a flood of scans waits in the queue instead of starting engines without bound.
//!
//! libtesseract uses OpenMP; start the process with `OMP_THREAD_LIMIT=1` (the gateway's
//! documentation and test harness do), which on two cores is about four times faster.

use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use image::GrayImage;
use tesseract::{PageSegMode, Tesseract};

/// The traineddata language every box is read with.
const LANGUAGE: &str = "jpn";

/// Katakana as written on forms, with the long vowel mark and both kinds of space.
const KATAKANA: &str = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポァィゥェォッャュョヴー　 ";

/// Which characters a box may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Anything the language knows.
    Any,
    Kana,
    /// Digits, era names and the date separators.
    Date,
    Digits,
    /// A form code and page number, `2403-1`.
    FormCode,
}

impl Charset {
    fn whitelist(self) -> &'static str {
        match self {
            Charset::Any => "",
            Charset::Kana => KATAKANA,
            Charset::Date => "0123456789年月日令和平成昭和大正元/.-",
            Charset::Digits => "0123456789",
            Charset::FormCode => "0123456789-",
        }
    }
}

/// One character Tesseract recognised, with its own evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    /// The character (one or more code points, as the recogniser emits it).
    pub text: String,
    /// The recogniser's confidence in it, 0–1.
    pub confidence: f32,
    /// The best score (0–1) of any *other* character the recogniser weighed for it: a strong
    /// rival means the glyph could as well be another character. The LSTM's choices are per
    /// time step and not always aligned with the character; only a list that holds the
    /// character itself is taken as its own (else 0).
    pub rival: f32,
    /// Its box in the recognised image, pixels: left, top, right, bottom.
    pub bbox: [u32; 4],
}

/// Text Tesseract recognised in a box, character by character.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognised {
    pub text: String,
    /// 0–1: the least sure character's confidence (0 when nothing was recognised).
    pub confidence: f32,
    pub symbols: Vec<Symbol>,
}

/// Why a box could not be read at all (the engine failed, not the handwriting).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OcrError {
    #[error("Tesseract cannot start with language `{LANGUAGE}` (install tesseract-ocr-jpn): {0}")]
    Unavailable(String),
    #[error("Tesseract failed on a box: {0}")]
    Failed(String),
    #[error("Tesseract did not answer within {0:?}")]
    Timeout(Duration),
}

struct Job {
    image: GrayImage,
    charset: Charset,
    reply: mpsc::Sender<Result<Recognised, OcrError>>,
}

/// A fixed set of OCR worker threads sharing one queue.
pub struct OcrPool {
    queue: Mutex<mpsc::Sender<Job>>,
    timeout: Duration,
}

impl std::fmt::Debug for OcrPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OcrPool").finish_non_exhaustive()
    }
}

impl OcrPool {
    /// Starts `workers` threads; each starts its engine on its first box.
    pub fn new(workers: usize, timeout: Duration) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers.max(1) {
            let rx = Arc::clone(&rx);
            // A worker ends when the pool (the only sender) is dropped.
            let _ = thread::Builder::new()
                .name(format!("ocr-{i}"))
                .spawn(move || worker(&rx));
        }
        Self {
            queue: Mutex::new(tx),
            timeout,
        }
    }

    /// Reads one box (grey, 300 dpi or so) as a single line of text, character by character.
    pub fn recognise(&self, image: GrayImage, charset: Charset) -> Result<Recognised, OcrError> {
        let (reply, answer) = mpsc::channel();
        let sent = self
            .queue
            .lock()
            .map_err(|_| OcrError::Failed("the OCR queue is poisoned".into()))?
            .send(Job {
                image,
                charset,
                reply,
            });
        if sent.is_err() {
            return Err(OcrError::Failed("no OCR worker is running".into()));
        }
        match answer.recv_timeout(self.timeout) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(OcrError::Timeout(self.timeout)),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(OcrError::Failed("the OCR worker stopped".into()))
            }
        }
    }
}

fn worker(queue: &Mutex<mpsc::Receiver<Job>>) {
    let mut engine: Option<Tesseract> = None;
    loop {
        let job = match queue.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let result = run(&mut engine, &job.image, job.charset);
        // The caller may have timed out and gone; nothing to do then.
        let _ = job.reply.send(result);
    }
}

/// Runs one box on the worker's engine, starting one if needed. The engine's API consumes it
/// at every step; after a failure it is simply started afresh for the next box.
fn run(
    engine: &mut Option<Tesseract>,
    image: &GrayImage,
    charset: Charset,
) -> Result<Recognised, OcrError> {
    let failed = |e: &dyn std::fmt::Display| OcrError::Failed(e.to_string());
    let mut t = match engine.take() {
        Some(t) => t,
        None => Tesseract::new(None, Some(LANGUAGE))
            .map_err(|e| OcrError::Unavailable(e.to_string()))?,
    };
    t.set_page_seg_mode(PageSegMode::PsmSingleLine);
    let (w, h) = image.dimensions();
    let mut t = t
        .set_variable("tessedit_char_whitelist", charset.whitelist())
        .map_err(|e| failed(&e))?
        // Per-character boxes, confidences and rival choices in the hOCR output.
        .set_variable("hocr_char_boxes", "1")
        .map_err(|e| failed(&e))?
        .set_variable("lstm_choice_mode", "2")
        .map_err(|e| failed(&e))?
        .set_frame(image.as_raw(), w as i32, h as i32, 1, w as i32)
        .map_err(|e| failed(&e))?
        .set_source_resolution(300)
        .recognize()
        .map_err(|e| failed(&e))?;
    let text = t.get_text().map_err(|e| failed(&e))?;
    let hocr = t.get_hocr_text(0).map_err(|e| failed(&e))?;
    *engine = Some(t);
    let symbols = symbols(&hocr);
    let confidence = symbols
        .iter()
        .map(|s| s.confidence)
        .reduce(f32::min)
        .unwrap_or(0.0);
    Ok(Recognised {
        text: text.trim().to_owned(),
        confidence,
        symbols,
    })
}

/// The characters of an hOCR page (`hocr_char_boxes` and `lstm_choice_mode` 2): every
/// `ocrx_cinfo` span with `x_bboxes … ; x_conf C` is a character, and the spans with
/// `x_confs C` after it are the choices the recogniser weighed for it.
fn symbols(hocr: &str) -> Vec<Symbol> {
    const OPEN: &str = "<span class='ocrx_cinfo'";
    let mut out: Vec<Symbol> = Vec::new();
    // The current character's choices: whether it is among them, and the best other's score.
    let (mut own, mut best_other) = (false, 0f32);
    let settle = |out: &mut Vec<Symbol>, own: bool, best_other: f32| {
        if let Some(last) = out.last_mut() {
            last.rival = if own { best_other } else { 0.0 };
        }
    };
    let mut rest = hocr;
    while let Some(start) = rest.find(OPEN) {
        rest = &rest[start + OPEN.len()..];
        let Some(tag_end) = rest.find('>') else { break };
        let tag = &rest[..tag_end];
        rest = &rest[tag_end + 1..];
        let content = unescape(&rest[..rest.find('<').unwrap_or(rest.len())]);
        let Some(title) = tag
            .split_once("title='")
            .and_then(|(_, t)| t.split_once('\'').map(|(t, _)| t))
        else {
            continue;
        };
        let number_after = |key: &str| -> Option<f32> {
            let (_, v) = title.split_once(key)?;
            v.split(|c: char| c == ';' || c.is_whitespace())
                .find(|w| !w.is_empty())?
                .parse()
                .ok()
        };
        if let Some(boxes) = title.strip_prefix("x_bboxes ") {
            settle(&mut out, own, best_other);
            (own, best_other) = (false, 0.0);
            let mut b = boxes
                .split(';')
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .map(|n| n.parse().unwrap_or(0));
            let mut next = || b.next().unwrap_or(0);
            out.push(Symbol {
                text: content,
                confidence: number_after("x_conf ").unwrap_or(0.0).clamp(0.0, 100.0) / 100.0,
                rival: 0.0,
                bbox: [next(), next(), next(), next()],
            });
        } else if let (Some(score), Some(last)) = (number_after("x_confs "), out.last()) {
            if content == last.text {
                own = true;
            } else {
                best_other = best_other.max(score.clamp(0.0, 100.0) / 100.0);
            }
        }
    }
    settle(&mut out, own, best_other);
    out
}

/// Undoes hOCR's XML escapes.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_and_their_rivals_come_out_of_hocr() {
        let hocr = "<span class='ocrx_word' id='word_1_4' title='bbox 238 215 288 246; x_wconf 83'>
       <span class='ocrx_cinfo' title='x_bboxes 238 216 257 246; x_conf 99.558899'>ハ</span>
        <span class='ocrx_cinfo' id='lstm_choices_1_4_1'>
         <span class='ocrx_cinfo' id='choice_1_4_1' title='x_confs 93.23'>ハ</span>
         <span class='ocrx_cinfo' id='choice_1_4_2' title='x_confs 0'>バ</span>
        </span>
       <span class='ocrx_cinfo' title='x_bboxes 268 215 288 244; x_conf 97.579308'>ン</span>
        <span class='ocrx_cinfo' id='lstm_choices_1_4_2'>
         <span class='ocrx_cinfo' id='choice_1_4_7' title='x_confs 89.83'>ン</span>
         <span class='ocrx_cinfo' id='choice_1_4_8' title='x_confs 36.97'>シ</span>
        </span>
       <span class='ocrx_cinfo' title='x_bboxes 226 42 257 93; x_conf 99.56'>総</span>
        <span class='ocrx_cinfo' id='lstm_choices_1_4_1'>
         <span class='ocrx_cinfo' id='choice_1_4_1' title='x_confs 98.6'>人</span>
        </span>
       <span class='ocrx_cinfo' title='x_bboxes 300 215 320 244; x_conf 90'>&lt;</span>";
        let s = symbols(hocr);
        assert_eq!(s.len(), 4);
        assert_eq!((s[0].text.as_str(), s[0].rival), ("ハ", 0.0));
        assert!((s[0].confidence - 0.9956).abs() < 1e-3);
        assert_eq!(s[0].bbox, [238, 216, 257, 246]);
        assert_eq!(s[1].text, "ン");
        assert!((s[1].rival - 0.3697).abs() < 1e-3);
        // Choices without the character itself are another time step's: no rival.
        assert_eq!((s[2].text.as_str(), s[2].rival), ("総", 0.0));
        assert_eq!(s[3].text, "<");
        assert!(symbols("no hocr at all <span class='ocrx_cinfo' title='x_bboxes 1").is_empty());
    }
}
