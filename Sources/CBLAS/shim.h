// OpenBLAS: CBLAS for the level-3 kernels, plus the few LAPACK routines the project calls
// (OpenBLAS ships LAPACK in the same library; declared here to avoid a lapacke dependency).
#include <cblas.h>

// Symmetric eigendecomposition, double precision (FID's matrix square root).
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
            double *w, double *work, const int *lwork, int *info);

