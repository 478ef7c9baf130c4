//! Page images → the image-only PDF a scanner writes, which is what the scan path reads.
//!
//! An applicant may photograph the paper 臨個票 / 意見書 or scan it to JPEG or PNG, one file a
//! page. Rather than give the reader a second way in, the pages are wrapped, in order, into one
//! PDF of one image a page: a JPEG as it is (`DCTDecode`, no re-encoding and no loss), a PNG
//! decoded to 8-bit grey and Flate-compressed (the reader works in grey anyway), and a
//! photograph whose Exif orientation says it lies on its side turned upright first. Each image's
//! size is read from its header and checked against [`Limits`] before anything is decoded, and
//! a PNG's decoding is bounded by the same, so the PDF path's limits hold for photographs too.
//! The PDF is made deterministically — the same images make the same bytes — so an application
//! sent again is the same submission.

use std::io::{Cursor, Write};

use flate2::Compression;
use flate2::write::ZlibEncoder;
use image::codecs::jpeg::JpegDecoder;
use image::codecs::png::PngDecoder;
use image::metadata::Orientation;
use image::{DynamicImage, ExtendedColorType, ImageDecoder, ImageFormat};
use kakehashi_sdk::AdapterError;
use lopdf::{Document, Object, Stream, dictionary};

use crate::pdf::{Limits, image_too_large, page_error, within};

/// One page of an image-only PDF: its image stream, ready to embed.
#[derive(Debug, Clone)]
pub(crate) struct ImagePage {
    pub width: u32,
    pub height: u32,
    /// `DeviceGray`, `DeviceRGB` or `DeviceCMYK`.
    pub colour_space: &'static str,
    /// `DCTDecode` (JPEG bytes) or `FlateDecode` (zlib-compressed samples).
    pub filter: &'static str,
    pub data: Vec<u8>,
    /// The page's size in points (1/72 inch).
    pub size_pt: (f32, f32),
}

/// A4's long side in points: a photograph's page is taken to be A4 (both forms are).
const A4_LONG_SIDE_PT: f32 = 841.89;

impl ImagePage {
    /// A photographed page of `size` pixels, drawn at A4 (its long side A4's).
    fn a4(
        (width, height): (u32, u32),
        colour_space: &'static str,
        filter: &'static str,
        data: Vec<u8>,
    ) -> Self {
        let scale = A4_LONG_SIDE_PT / width.max(height) as f32;
        Self {
            width,
            height,
            colour_space,
            filter,
            data,
            size_pt: (width as f32 * scale, height as f32 * scale),
        }
    }
}

/// The PDF of `pages`, one image filling each page, in order.
pub(crate) fn image_only_pdf(pages: Vec<ImagePage>) -> Result<Vec<u8>, lopdf::Error> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut kids = Vec::with_capacity(pages.len());
    for page in pages {
        let image = doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image",
                "Width" => i64::from(page.width), "Height" => i64::from(page.height),
                "ColorSpace" => page.colour_space, "BitsPerComponent" => 8, "Filter" => page.filter,
            },
            page.data,
        ));
        let (pw, ph) = page.size_pt;
        let content = doc.add_object(Stream::new(
            dictionary! {},
            format!("q {pw} 0 0 {ph} 0 0 cm /Im0 Do Q").into_bytes(),
        ));
        kids.push(Object::Reference(doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), pw.into(), ph.into()],
            "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => image } },
            "Contents" => content,
        })));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out)?;
    Ok(out)
}

/// The scanned PDF of a paper's pages given as JPEG or PNG files, in order. A page that is
/// neither, cannot be decoded, or is larger than `limits` allows is refused by its number.
pub fn pdf_of_page_images(pages: &[&[u8]], limits: &Limits) -> Result<Vec<u8>, AdapterError> {
    let pages = pages
        .iter()
        .zip(1u32..)
        .map(|(bytes, page)| image_page(bytes, page, limits))
        .collect::<Result<Vec<_>, _>>()?;
    image_only_pdf(pages).map_err(|e| {
        AdapterError::malformed(
            "scan.malformed_image",
            format!("the page images could not be put into a PDF: {e}"),
            format!("ページ画像を PDF にまとめられませんでした: {e}"),
        )
    })
}

/// One page file as the image of a page: an upright JPEG's own bytes, or the grey samples of a
/// PNG or of a JPEG whose Exif says to turn it (a phone stores a photograph as the sensor saw
/// it and the way up beside it).
fn image_page(bytes: &[u8], page: u32, limits: &Limits) -> Result<ImagePage, AdapterError> {
    let undecodable = |e: image::ImageError| {
        page_error(
            page,
            "scan.malformed_image",
            format!("the page image cannot be decoded: {e}"),
            format!("ページ画像を復号できません: {e}"),
        )
    };
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => {
            let mut decoder = JpegDecoder::new(Cursor::new(bytes)).map_err(undecodable)?;
            let (w, h) = checked(decoder.dimensions(), page, limits)?;
            match decoder.orientation().map_err(undecodable)? {
                Orientation::NoTransforms => {
                    let colour_space = match decoder.original_color_type() {
                        ExtendedColorType::L8 => "DeviceGray",
                        ExtendedColorType::Cmyk8 => "DeviceCMYK",
                        _ => "DeviceRGB",
                    };
                    Ok(ImagePage::a4(
                        (w, h),
                        colour_space,
                        "DCTDecode",
                        bytes.to_vec(),
                    ))
                }
                turn => grey(decoder, turn, (w, h)).map_err(undecodable),
            }
        }
        Ok(ImageFormat::Png) => {
            let mut decoder = PngDecoder::new(Cursor::new(bytes)).map_err(undecodable)?;
            let size = checked(decoder.dimensions(), page, limits)?;
            let turn = decoder.orientation().map_err(undecodable)?;
            grey(decoder, turn, size).map_err(undecodable)
        }
        _ => Err(page_error(
            page,
            "scan.unsupported_image",
            "the page is neither a JPEG nor a PNG image".into(),
            "ページが JPEG でも PNG でもありません".into(),
        )),
    }
}

/// The image's size, if `limits` let it be decoded.
fn checked((w, h): (u32, u32), page: u32, limits: &Limits) -> Result<(u32, u32), AdapterError> {
    if within(limits, w, h) {
        Ok((w, h))
    } else {
        Err(image_too_large(page, w, h, limits))
    }
}

/// The decoder's image turned upright and made 8-bit grey, Flate-compressed; decoding holds at
/// most 4 bytes a pixel of the size already checked.
fn grey(
    mut decoder: impl ImageDecoder,
    turn: Orientation,
    (w, h): (u32, u32),
) -> Result<ImagePage, image::ImageError> {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    limits.max_alloc = Some(u64::from(w) * u64::from(h) * 4 + (1 << 20));
    decoder.set_limits(limits)?;
    let mut image = DynamicImage::from_decoder(decoder)?;
    image.apply_orientation(turn);
    let grey = image.into_luma8();
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::fast());
    zlib.write_all(grey.as_raw())?;
    Ok(ImagePage::a4(
        (grey.width(), grey.height()),
        "DeviceGray",
        "FlateDecode",
        zlib.finish()?,
    ))
}

#[cfg(test)]
mod tests {
    use image::{GrayImage, ImageEncoder, Luma, RgbImage};

    use super::*;
    use crate::pdf::page_images;

    fn png(image: &GrayImage) -> Vec<u8> {
        let mut out = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    fn jpeg(image: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
            .unwrap();
        out
    }

    #[test]
    fn pages_come_back_in_order_with_their_pixels() {
        let first = GrayImage::from_fn(60, 85, |x, _| Luma([if x < 30 { 0 } else { 255 }]));
        let second = RgbImage::from_pixel(85, 60, image::Rgb([200, 200, 200]));
        let pdf = pdf_of_page_images(&[&png(&first), &jpeg(&second)], &Limits::default()).unwrap();
        let pages = page_images(&pdf, &Limits::default()).unwrap();
        assert_eq!(pages.len(), 2);
        // The PNG's samples exactly, the JPEG's within its compression.
        assert_eq!(pages[0].image, first);
        assert_eq!(pages[1].image.dimensions(), (85, 60));
        assert!(pages[1].image.pixels().all(|p| p[0].abs_diff(200) <= 3));
        // The same images make the same bytes: a resent application is the same submission.
        assert_eq!(
            pdf,
            pdf_of_page_images(&[&png(&first), &jpeg(&second)], &Limits::default()).unwrap()
        );
    }

    #[test]
    fn a_photograph_is_turned_the_way_its_exif_says() {
        // Exif (big-endian TIFF) with one entry: Orientation = 6, turn 90° clockwise to view.
        let exif = [
            0x4D, 0x4D, 0, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0,
            0, 0,
        ];
        // As the sensor saw it: 80 wide, 40 high, the left half dark.
        let sensor = RgbImage::from_fn(80, 40, |x, _| {
            image::Rgb(if x < 40 { [0; 3] } else { [255; 3] })
        });
        let mut photo = Vec::new();
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut photo, 95);
        encoder.set_exif_metadata(exif.to_vec()).unwrap();
        encoder.encode_image(&sensor).unwrap();
        let pdf = pdf_of_page_images(&[&photo], &Limits::default()).unwrap();
        let page = &page_images(&pdf, &Limits::default()).unwrap()[0].image;
        // Upright: 40 wide, 80 high, the dark half now on top.
        assert_eq!(page.dimensions(), (40, 80));
        assert!(page.get_pixel(20, 10)[0] < 40 && page.get_pixel(20, 70)[0] > 215);
    }

    #[test]
    fn a_page_is_refused_by_its_number_and_why() {
        let page = png(&GrayImage::new(40, 30));
        let limits = Limits {
            max_side: 35,
            ..Limits::default()
        };
        let code = |pages: &[&[u8]], limits: &Limits| {
            let error = pdf_of_page_images(pages, limits).unwrap_err();
            (error.code, error.location.and_then(|l| l.page))
        };
        assert_eq!(
            code(&[&page, &page], &limits),
            ("scan.image_too_large", Some(1))
        );
        assert_eq!(
            code(&[&page, b"GIF89a...."], &Limits::default()),
            ("scan.unsupported_image", Some(2))
        );
        let truncated = &page[..page.len() / 2];
        assert_eq!(
            code(&[&page, truncated], &Limits::default()),
            ("scan.malformed_image", Some(2))
        );
    }
}
