//! Any bytes through the scan adapter's decoding, the part before OCR: a page image (JPEG, PNG)
//! wrapped into a PDF as the intake wraps a photographed paper, the memory bound the gateway
//! reserves before reading, the PDF reader and its limits, each page's image (JPEG, Flate, raw,
//! 1-bit), and the search for every shipped template's registration marks on it.
//! Must return page images or a located error, never panic. Tesseract is left out: one OCR run
//! costs more than thousands of these executions, and it reads only crops of images that got
//! this far.
#![no_main]

use std::sync::LazyLock;

use kakehashi_adapter_scan::{
    CATEGORY, FormTemplate, Limits, looks_like_pdf, memory_bound, page_images, pdf_of_page_images,
    register,
};
use kakehashi_core::catalog::Catalog;
use libfuzzer_sys::fuzz_target;

static TEMPLATES: LazyLock<Vec<FormTemplate>> = LazyLock::new(|| {
    let catalog = Catalog::load(None).expect("built-in catalog");
    catalog
        .mappings
        .names(CATEGORY)
        .map(|name| {
            catalog
                .mappings
                .load(CATEGORY, name)
                .expect("shipped template")
        })
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let wrapped;
    let data = if looks_like_pdf(data) {
        data
    } else {
        let Ok(pdf) = pdf_of_page_images(&[data], &limits) else {
            return;
        };
        wrapped = pdf;
        &wrapped
    };
    let _ = memory_bound(data, &limits);
    let Ok(pages) = page_images(data, &limits) else {
        return;
    };
    for page in &pages {
        for t in TEMPLATES.iter() {
            let _ = register(&page.image, t.page_size, &t.marks, t.mark_size);
        }
    }
});
