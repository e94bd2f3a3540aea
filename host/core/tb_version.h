/* The program's version and the version of its file formats. */
#ifndef TB_VERSION_H
#define TB_VERSION_H
#define TB_VERSION "0.1.0"
#define TB_FORMAT_VERSION 1
#endif
