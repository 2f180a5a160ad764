/*
 * The version both programs print (`attesta --version`, `attesta version`,
 * `attesta-run --version`). A build may set it with -DATTESTA_VERSION=...
 */
#ifndef ATTESTA_COMMON_VERSION_H
#define ATTESTA_COMMON_VERSION_H

#ifndef ATTESTA_VERSION
#define ATTESTA_VERSION "0.1.0"
#endif

#endif
