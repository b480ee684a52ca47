/*
 * banned.h - functions that must not be used in mlstack.
 *
 * Each is unsafe (unbounded copies) or not thread-safe; the replacement is
 * named in the error. Included last by util/common.h.
 */
#ifndef MS_BANNED_H
#define MS_BANNED_H

#define BANNED(func) sorry_##func##_is_banned

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef gmtime
#define gmtime(x) BANNED(gmtime)
#undef localtime
#define localtime(x) BANNED(localtime)

#endif
