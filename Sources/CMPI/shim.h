// MPI (Open MPI from Debian's libopenmpi-dev, or any MPI-3 implementation) for the data-parallel
// trainer. Open MPI's predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are macros that
// take the address of library globals (`&ompi_mpi_comm_world`) and MPI_IN_PLACE is a cast constant;
// Swift imports neither, so the tiny inline functions below hand them over as values.
#if __has_include(<mpi.h>)
#include <mpi.h>
#else
#include <mpi/mpi.h>   // Debian's multiarch location (/usr/include/<triplet>/mpi)
#endif

static inline MPI_Comm lzn_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm lzn_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Datatype lzn_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype lzn_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype lzn_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype lzn_mpi_long_long(void) { return MPI_LONG_LONG; }
static inline MPI_Op lzn_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op lzn_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op lzn_mpi_min(void) { return MPI_MIN; }
static inline void *lzn_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Info lzn_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline MPI_Errhandler lzn_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int lzn_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline int lzn_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int lzn_mpi_success(void) { return MPI_SUCCESS; }
static inline int lzn_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
