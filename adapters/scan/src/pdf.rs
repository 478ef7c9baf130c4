//! Scanned PDF → one grey page image per page.
//!
//! A scanner writes each page as one image XObject (JPEG in `DCTDecode`, raw pixels in
//! `FlateDecode`, or bilevel CCITT). Everything is checked before anything is decoded: the
//! header, encryption, the page count, each image's declared size against [`Limits`], and the
//! decoded size is capped at what the declared size implies, so a decompression bomb stops at
//! its first surplus byte instead of filling memory. Because every page decodes to exactly its
//! declared size, [`memory_bound`] can say beforehand what reading a document will hold.

use std::io::Read;

use image::{GrayImage, ImageFormat, ImageReader};
use kakehashi_sdk::{AdapterError, SourceLocation};
use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};

/// Bounds on what one submission may make the adapter decode.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most pages a scanned document may have.
    pub max_pages: usize,
    /// Most pixels one page image may have (A4 at 600 dpi is 35 million).
    pub max_pixels: u64,
    /// Longest side of a page image, in pixels.
    pub max_side: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_pages: 40,
            max_pixels: 40_000_000,
            max_side: 12_000,
        }
    }
}

/// One page's scanned image, in 8-bit grey.
#[derive(Debug, Clone)]
pub struct PageImage {
    /// 1-based page number.
    pub page: u32,
    pub image: GrayImage,
}

/// Whether the bytes start like a PDF (`%PDF-` within the first KiB, as readers allow).
pub fn looks_like_pdf(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
}

/// A refusal located at `page`, its number in both messages.
pub(crate) fn page_error(page: u32, code: &'static str, en: String, ja: String) -> AdapterError {
    AdapterError::malformed(
        code,
        format!("page {page}: {en}"),
        format!("{page} ページ: {ja}"),
    )
    .at(SourceLocation {
        page: Some(page),
        ..SourceLocation::default()
    })
}

/// Most bytes one object or cross-reference stream may inflate to while the PDF is loaded; a
/// scanner's are a few KiB.
const MAX_STRUCTURE_STREAM_BYTES: usize = 4 << 20;

/// The PDF, loaded and checked: a PDF, not encrypted, with pages, not too many.
fn load(bytes: &[u8], limits: &Limits) -> Result<Document, AdapterError> {
    if !looks_like_pdf(bytes) {
        return Err(AdapterError::unsupported(
            "scan.not_pdf",
            "the document is not a PDF (no `%PDF-` header)".into(),
            "PDF ではありません（`%PDF-` ヘッダーがありません）".into(),
        ));
    }
    let encrypted = || {
        AdapterError::unsupported(
            "scan.encrypted_pdf",
            "the PDF is encrypted; scan without a password or security settings".into(),
            "PDF が暗号化されています。パスワードやセキュリティ設定なしでスキャンしてください"
                .into(),
        )
    };
    let options = LoadOptions::with_max_decompressed_size(MAX_STRUCTURE_STREAM_BYTES);
    let doc = Document::load_mem_with_options(bytes, options).map_err(|e| {
        // An encryption dictionary the reader could not use is still an encrypted file.
        if bytes.windows(8).any(|w| w == b"/Encrypt") {
            return encrypted();
        }
        AdapterError::malformed(
            "scan.malformed_pdf",
            format!("the PDF cannot be read: {e}"),
            format!("PDF を読めません: {e}"),
        )
    })?;
    if doc.was_encrypted() || doc.is_encrypted() {
        return Err(encrypted());
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(AdapterError::malformed(
            "scan.malformed_pdf",
            "the PDF has no pages".into(),
            "PDF にページがありません".into(),
        ));
    }
    if pages.len() > limits.max_pages {
        return Err(AdapterError::malformed(
            "scan.too_many_pages",
            format!(
                "the PDF has {} pages; at most {} are read per submission",
                pages.len(),
                limits.max_pages
            ),
            format!(
                "PDF が {} ページあります。1 回の提出で読めるのは {} ページまでです",
                pages.len(),
                limits.max_pages
            ),
        ));
    }
    Ok(doc)
}

/// Reads every page's image. A page without an image is refused as an unknown form: a text
/// PDF is not a scan of a paper sheet.
pub fn page_images(bytes: &[u8], limits: &Limits) -> Result<Vec<PageImage>, AdapterError> {
    let doc = load(bytes, limits)?;
    doc.get_pages()
        .iter()
        .map(|(&page, &id)| {
            let stream = largest_image(&doc, id, page)?;
            let image = decode(&doc, stream, page, limits)?;
            Ok(PageImage { page, image })
        })
        .collect()
}

/// Bytes the loaded PDF takes per byte of the file (measured at 1.5 for a four-form scan).
const PDF_EXPANSION: u64 = 4;
/// Bytes a decoded page holds per pixel, with the working copies of registration and OCR
/// (measured at about 1 per pixel above the OCR engines, `kakehashi convert` on 2 to 8 pages).
const HELD_BYTES_PER_PIXEL: u64 = 2;
/// Bytes decoding one page takes per pixel while it runs (colour samples and the grey result).
const DECODING_BYTES_PER_PIXEL: u64 = 4;

/// The most memory reading the scanned PDF `bytes` within `limits` may take: the loaded PDF,
/// every page image up to the first that cannot be read (each decodes to exactly its declared
/// size or is refused), and one page's decoding. A file that does not load takes nothing
/// beyond its bytes: reading it fails at once.
pub fn memory_bound(bytes: &[u8], limits: &Limits) -> u64 {
    let Ok(doc) = load(bytes, limits) else {
        return 0;
    };
    let (mut held, mut largest) = (0u64, 0u64);
    for (&page, &id) in &doc.get_pages() {
        let Some((w, h)) = largest_image(&doc, id, page)
            .and_then(|stream| dimensions(&stream.dict, page))
            .ok()
            .filter(|&(w, h)| within(limits, w, h))
        else {
            break;
        };
        let pixels = u64::from(w) * u64::from(h);
        held += pixels;
        largest = largest.max(pixels);
    }
    (bytes.len() as u64).saturating_mul(PDF_EXPANSION)
        + held * HELD_BYTES_PER_PIXEL
        + largest * DECODING_BYTES_PER_PIXEL
}

/// Whether a page image of `w`×`h` pixels is one the limits let be decoded.
pub(crate) fn within(limits: &Limits, w: u32, h: u32) -> bool {
    w.max(h) <= limits.max_side && u64::from(w) * u64::from(h) <= limits.max_pixels
}

/// The page's largest image (by declared pixels).
fn largest_image(
    doc: &Document,
    page_id: ObjectId,
    page: u32,
) -> Result<&lopdf::Stream, AdapterError> {
    let unreadable = |e: lopdf::Error| {
        page_error(
            page,
            "scan.malformed_pdf",
            format!("the page's resources cannot be read: {e}"),
            format!("ページのリソースを読めません: {e}"),
        )
    };
    let (direct, referenced) = doc.get_page_resources(page_id).map_err(unreadable)?;
    let mut resources: Vec<&Dictionary> = direct.into_iter().collect();
    for id in referenced {
        resources.push(doc.get_dictionary(id).map_err(unreadable)?);
    }
    let mut best: Option<(u64, &lopdf::Stream)> = None;
    for res in resources {
        let Ok(xobjects) = res.get_deref(b"XObject", doc).and_then(Object::as_dict) else {
            continue;
        };
        for (_, value) in xobjects.iter() {
            let Ok(stream) = doc.dereference(value).and_then(|(_, o)| o.as_stream()) else {
                continue;
            };
            if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Image") {
                continue;
            }
            let (w, h) = dimensions(&stream.dict, page)?;
            let pixels = u64::from(w) * u64::from(h);
            if best.is_none_or(|(p, _)| pixels > p) {
                best = Some((pixels, stream));
            }
        }
    }
    best.map(|(_, stream)| stream).ok_or_else(|| {
        page_error(
            page,
            "scan.unknown_form",
            "the page has no scanned image, so it is not a scan of a known form (a PDF with text is not read by OCR)".into(),
            "ページにスキャン画像がありません。既知の様式のスキャンではありません（テキストの PDF は OCR の対象外です）".into(),
        )
    })
}

fn dimensions(dict: &Dictionary, page: u32) -> Result<(u32, u32), AdapterError> {
    let side = |key: &[u8]| {
        dict.get(key)
            .and_then(Object::as_i64)
            .ok()
            .and_then(|v| u32::try_from(v).ok())
            .filter(|&v| v > 0)
    };
    match (side(b"Width"), side(b"Height")) {
        (Some(w), Some(h)) => Ok((w, h)),
        _ => Err(page_error(
            page,
            "scan.malformed_pdf",
            "the page image has no valid /Width and /Height".into(),
            "ページ画像に正しい /Width と /Height がありません".into(),
        )),
    }
}

/// The refusal of page `page`'s image of `w`×`h` pixels, beyond `limits`.
pub(crate) fn image_too_large(page: u32, w: u32, h: u32, limits: &Limits) -> AdapterError {
    page_error(
        page,
        "scan.image_too_large",
        format!(
            "the page image is {w}×{h} pixels; at most {} pixels and {} on a side are read (scan at 200–300 dpi)",
            limits.max_pixels, limits.max_side
        ),
        format!(
            "ページ画像が {w}×{h} ピクセルあります。読めるのは {} ピクセル・一辺 {} ピクセルまでです（200〜300 dpi でスキャンしてください）",
            limits.max_pixels, limits.max_side
        ),
    )
}

fn decode(
    doc: &Document,
    stream: &lopdf::Stream,
    page: u32,
    limits: &Limits,
) -> Result<GrayImage, AdapterError> {
    let (w, h) = dimensions(&stream.dict, page)?;
    if !within(limits, w, h) {
        return Err(image_too_large(page, w, h, limits));
    }
    let filters: Vec<Vec<u8>> = match stream.dict.get(b"Filter") {
        Ok(Object::Name(n)) => vec![n.clone()],
        Ok(Object::Array(a)) => a
            .iter()
            .filter_map(|o| o.as_name().ok().map(<[u8]>::to_vec))
            .collect(),
        _ => Vec::new(),
    };
    let unsupported = |what: &str| {
        AdapterError::unsupported(
            "scan.unsupported_image",
            format!("page {page}: {what} page images are not read; scan to JPEG, or to uncompressed or Flate-compressed grey or colour"),
            format!("{page} ページ: {what} のページ画像は読めません。JPEG か、非圧縮・Flate 圧縮のグレーまたはカラーでスキャンしてください"),
        )
        .at(SourceLocation { page: Some(page), ..SourceLocation::default() })
    };
    match filters
        .iter()
        .map(Vec::as_slice)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [b"DCTDecode"] => decode_jpeg(&stream.content, w, h, page),
        [b"FlateDecode"] => {
            let raw = inflate(
                &stream.content,
                raw_len(doc, &stream.dict, w, h, page)?,
                page,
            )?;
            raw_pixels(doc, &stream.dict, &raw, w, h, page)
        }
        [] => raw_pixels(doc, &stream.dict, &stream.content, w, h, page),
        [b"CCITTFaxDecode"] => Err(unsupported("CCITT fax (bilevel)")),
        [b"JBIG2Decode"] => Err(unsupported("JBIG2")),
        [b"JPXDecode"] => Err(unsupported("JPEG 2000")),
        other => Err(unsupported(&format!(
            "filter {}",
            other
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect::<Vec<_>>()
                .join(" + ")
        ))),
    }
}

fn decode_jpeg(data: &[u8], w: u32, h: u32, page: u32) -> Result<GrayImage, AdapterError> {
    let mut reader = ImageReader::with_format(std::io::Cursor::new(data), ImageFormat::Jpeg);
    let mut image_limits = image::Limits::default();
    // The JPEG's own header must agree with the dictionary already checked against the limits.
    image_limits.max_image_width = Some(w);
    image_limits.max_image_height = Some(h);
    image_limits.max_alloc = Some(u64::from(w) * u64::from(h) * 4 + (1 << 20));
    reader.limits(image_limits);
    let image = reader.decode().map_err(|e| {
        page_error(
            page,
            "scan.malformed_image",
            format!("the page's JPEG image cannot be decoded: {e}"),
            format!("ページの JPEG 画像を復号できません: {e}"),
        )
    })?;
    Ok(image.into_luma8())
}

/// Components per pixel and bits per component, for the colour spaces scanners write.
fn layout(doc: &Document, dict: &Dictionary, page: u32) -> Result<(u32, u32), AdapterError> {
    let bpc = dict
        .get(b"BitsPerComponent")
        .and_then(Object::as_i64)
        .unwrap_or(8);
    let space = dict
        .get_deref(b"ColorSpace", doc)
        .ok()
        .and_then(|o| match o {
            Object::Name(n) => Some(n.clone()),
            Object::Array(a) => a.first().and_then(|f| f.as_name().ok()).map(<[u8]>::to_vec),
            _ => None,
        });
    let components = match space.as_deref() {
        Some(b"DeviceGray") | Some(b"CalGray") => 1,
        Some(b"DeviceRGB") | Some(b"CalRGB") => 3,
        None if matches!(dict.get(b"ImageMask").and_then(Object::as_bool), Ok(true)) => 1,
        other => {
            let name = other.map_or("none".into(), |n| String::from_utf8_lossy(n).into_owned());
            return Err(AdapterError::unsupported(
                "scan.unsupported_image",
                format!(
                    "page {page}: page images in colour space {name} are not read; scan in grey or colour (RGB)"
                ),
                format!(
                    "{page} ページ: 色空間 {name} のページ画像は読めません。グレーかカラー（RGB）でスキャンしてください"
                ),
            ));
        }
    };
    match (components, bpc) {
        (1, 1) | (1, 8) | (3, 8) => Ok((components, bpc as u32)),
        _ => Err(AdapterError::unsupported(
            "scan.unsupported_image",
            format!(
                "page {page}: {bpc} bits per component are not read; scan at 8 bits (or 1 bit for grey)"
            ),
            format!(
                "{page} ページ: 1 成分 {bpc} ビットの画像は読めません。8 ビット（グレーは 1 ビットも可）でスキャンしてください"
            ),
        )),
    }
}

fn raw_len(
    doc: &Document,
    dict: &Dictionary,
    w: u32,
    h: u32,
    page: u32,
) -> Result<usize, AdapterError> {
    let (components, bpc) = layout(doc, dict, page)?;
    let row = (u64::from(w) * u64::from(components) * u64::from(bpc)).div_ceil(8);
    Ok((row * u64::from(h)) as usize)
}

/// Inflates at most `expected` bytes; a stream that holds more is refused as a bomb.
fn inflate(data: &[u8], expected: usize, page: u32) -> Result<Vec<u8>, AdapterError> {
    let mut out = Vec::with_capacity(expected);
    let mut decoder = flate2::read::ZlibDecoder::new(data).take(expected as u64 + 1);
    decoder.read_to_end(&mut out).map_err(|e| {
        page_error(
            page,
            "scan.malformed_image",
            format!("the page image's Flate data cannot be inflated: {e}"),
            format!("ページ画像の Flate データを展開できません: {e}"),
        )
    })?;
    if out.len() > expected {
        return Err(page_error(
            page,
            "scan.image_too_large",
            format!("the page image inflates to more than the {expected} bytes its size declares"),
            format!("ページ画像が宣言された大きさ（{expected} バイト）を超えて展開されます"),
        ));
    }
    Ok(out)
}

fn raw_pixels(
    doc: &Document,
    dict: &Dictionary,
    raw: &[u8],
    w: u32,
    h: u32,
    page: u32,
) -> Result<GrayImage, AdapterError> {
    let (components, bpc) = layout(doc, dict, page)?;
    let expected = raw_len(doc, dict, w, h, page)?;
    if raw.len() < expected {
        return Err(page_error(
            page,
            "scan.malformed_image",
            format!(
                "the page image has {} bytes of pixels, {expected} expected for {w}×{h}",
                raw.len()
            ),
            format!(
                "ページ画像の画素データが {} バイトです（{w}×{h} には {expected} バイト必要）",
                raw.len()
            ),
        ));
    }
    // /Decode [1 0] (and an image mask's default) inverts: 1 is black.
    let inverted = matches!(dict.get(b"Decode").and_then(Object::as_array), Ok(d)
        if d.first().and_then(|o| o.as_float().ok()) == Some(1.0))
        || matches!(dict.get(b"ImageMask").and_then(Object::as_bool), Ok(true));
    let (w_us, h_us) = (w as usize, h as usize);
    let mut pixels = Vec::with_capacity(w_us * h_us);
    match (components, bpc) {
        (1, 8) => pixels.extend_from_slice(&raw[..w_us * h_us]),
        (3, 8) => pixels.extend(raw[..w_us * h_us * 3].chunks_exact(3).map(|p| {
            ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000) as u8
        })),
        _ => {
            let row = w_us.div_ceil(8);
            for y in 0..h_us {
                for x in 0..w_us {
                    let bit = raw[y * row + x / 8] >> (7 - x % 8) & 1;
                    pixels.push(if bit == 1 { 255 } else { 0 });
                }
            }
        }
    }
    if inverted {
        pixels.iter_mut().for_each(|p| *p = 255 - *p);
    }
    GrayImage::from_raw(w, h, pixels).ok_or_else(|| {
        page_error(
            page,
            "scan.malformed_image",
            "the page image's pixels do not fill its size".into(),
            "ページ画像の画素数が大きさと合いません".into(),
        )
    })
}
