package dev.twincloud.api.annotation;

import java.util.List;

/** A recording's annotations in onset order. */
record AnnotationList(List<Annotation> items) {
}
