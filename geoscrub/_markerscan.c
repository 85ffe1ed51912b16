/* The marker that ends a JPEG's entropy-coded data, found in C.
 *
 * An optional speed-up: geoscrub.formats.markerscan.find_marker_python is
 * the reference, and tests/test_markerscan_differential.py proves both give
 * the same answer.  A marker here is 0xFF followed by 0xC0-0xCF or
 * 0xD8-0xFE; stuffing (FF00), restart markers (FFD0-FFD7), fill bytes and
 * the codes T.81 leaves unused stay part of the coded data.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static Py_ssize_t
find_marker(const unsigned char *data, Py_ssize_t size, Py_ssize_t pos)
{
    while (pos < size) {
        const unsigned char *hit = memchr(data + pos, 0xFF, (size_t)(size - pos));
        if (hit == NULL)
            return -1;
        pos = hit - data;
        if (pos + 1 >= size)
            return -1;
        unsigned char code = data[pos + 1];
        if ((code >= 0xC0 && code <= 0xCF) || (code >= 0xD8 && code <= 0xFE))
            return pos;
        pos += code == 0x00 ? 2 : 1; /* stuffing skips its zero; FF FF.. looks again */
    }
    return -1;
}

PyDoc_STRVAR(find_marker_in_scan_doc,
"find_marker_in_scan(data, pos, /)\n--\n\n"
"Offset of the first marker at or after pos that ends entropy-coded data, or None.");

static PyObject *
find_marker_in_scan(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "find_marker_in_scan takes exactly 2 arguments (data, pos)");
        return NULL;
    }
    Py_ssize_t pos = PyNumber_AsSsize_t(args[1], PyExc_OverflowError);
    if (pos == -1 && PyErr_Occurred())
        return NULL;
    if (pos < 0) {
        PyErr_SetString(PyExc_ValueError, "pos must not be negative");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) != 0)
        return NULL;
    Py_ssize_t found;
    if (view.len > (1 << 16)) {
        /* a photo's worth: let other threads (the watch service's) run meanwhile */
        Py_BEGIN_ALLOW_THREADS
        found = find_marker((const unsigned char *)view.buf, view.len, pos);
        Py_END_ALLOW_THREADS
    } else {
        found = find_marker((const unsigned char *)view.buf, view.len, pos);
    }
    PyBuffer_Release(&view);
    if (found < 0)
        Py_RETURN_NONE;
    return PyLong_FromSsize_t(found);
}

static PyMethodDef methods[] = {
    {"find_marker_in_scan", (PyCFunction)(void (*)(void))find_marker_in_scan, METH_FASTCALL,
     find_marker_in_scan_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "geoscrub._markerscan",
    "The JPEG coded-data marker search in C (optional; see geoscrub.formats.markerscan).", -1, methods,
};

PyMODINIT_FUNC
PyInit__markerscan(void)
{
    return PyModule_Create(&module);
}
