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

/// Text Tesseract recognised in a box, and its mean confidence (0–1).
#[derive(Debug, Clone, PartialEq)]
pub struct Recognised {
    pub text: String,
    pub confidence: f32,
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

    /// Reads one box (grey, 300 dpi or so) as a single line of text.
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
        .set_frame(image.as_raw(), w as i32, h as i32, 1, w as i32)
        .map_err(|e| failed(&e))?
        .set_source_resolution(300)
        .recognize()
        .map_err(|e| failed(&e))?;
    let text = t.get_text().map_err(|e| failed(&e))?;
    let confidence = (t.mean_text_conf().clamp(0, 100) as f32) / 100.0;
    *engine = Some(t);
    Ok(Recognised {
        text: text.trim().to_owned(),
        confidence,
    })
}
