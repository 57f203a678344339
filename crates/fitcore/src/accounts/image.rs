//! Profile images: decoded with limits (so a decompression bomb is refused
//! before it allocates), resized to at most 512 px on the longest side and
//! re-encoded, which also drops any metadata the upload carried.

use crate::error::{AppError, FieldErrors};
use image::{ImageFormat, ImageReader, Limits};
use std::io::Cursor;

pub const MAX_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_SIDE: u32 = 512;
const MAX_SOURCE_SIDE: u32 = 10_000;

pub struct Processed {
    pub bytes: Vec<u8>,
    pub extension: &'static str,
}

pub fn process(data: &[u8]) -> Result<Processed, AppError> {
    let not_image = || FieldErrors::single("image", "Upload a valid image: JPEG, PNG or WebP.");
    let reader = ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .map_err(|_| not_image())?;
    let format = reader.format().ok_or_else(not_image)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(not_image());
    }
    let (w, h) = reader.into_dimensions().map_err(|_| not_image())?;
    if w == 0 || h == 0 || w > MAX_SOURCE_SIDE || h > MAX_SOURCE_SIDE {
        return Err(FieldErrors::single(
            "image",
            format!("Images may be at most {MAX_SOURCE_SIDE} pixels on a side."),
        ));
    }
    let mut reader = ImageReader::with_format(Cursor::new(data), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_SIDE);
    limits.max_image_height = Some(MAX_SOURCE_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| not_image())?;
    let img = if img.width().max(img.height()) > MAX_SIDE {
        img.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Lanczos3)
    } else {
        img
    };
    let mut out = Cursor::new(Vec::new());
    let extension = if format == ImageFormat::Jpeg {
        img.to_rgb8()
            .write_to(&mut out, ImageFormat::Jpeg)
            .map_err(AppError::internal)?;
        "jpg"
    } else {
        img.write_to(&mut out, ImageFormat::Png)
            .map_err(AppError::internal)?;
        "png"
    };
    Ok(Processed {
        bytes: out.into_inner(),
        extension,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30]));
        let mut out = Cursor::new(Vec::new());
        let _ = img.write_to(&mut out, ImageFormat::Png);
        out.into_inner()
    }

    #[test]
    fn large_images_are_resized_to_512_on_the_longest_side() {
        let p = process(&png(1200, 600)).unwrap_or_else(|e| panic!("{e:?}"));
        let img = image::load_from_memory(&p.bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((img.width(), img.height()), (512, 256));
        assert_eq!(p.extension, "png");
    }

    #[test]
    fn text_is_not_an_image() {
        assert!(matches!(
            process(b"hello, I am not a picture"),
            Err(AppError::Validation(_))
        ));
    }

    #[test]
    fn a_header_claiming_huge_dimensions_is_refused_without_decoding() {
        let mut data = png(1, 1);
        // IHDR width/height live at bytes 16..24; claim 100,000 x 100,000.
        data[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        data[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(matches!(process(&data), Err(AppError::Validation(_))));
    }
}
