/* The MPI side of parallel HDF5: file access and transfer property lists. */
#include <hdf5.h>

#include "tb_error.h"

#ifdef TB_HAVE_MPI
#include <mpi.h>
MPI_Comm tb_comm_current(void);
#endif

int tb_comm_h5_fapl(hid_t fapl) {
#ifdef TB_HAVE_MPI
  if (H5Pset_fapl_mpio(fapl, tb_comm_current(), MPI_INFO_NULL) < 0)
    return TB_ERR(TB_ERR_INTERNAL, "H5Pset_fapl_mpio failed");
  /* collective metadata reads crash this platform's HDF5 1.10 with chunked data: keep them off */
  if (H5Pset_all_coll_metadata_ops(fapl, 0) < 0)
    return TB_ERR(TB_ERR_INTERNAL, "H5Pset_all_coll_metadata_ops failed");
#else
  (void)fapl;
#endif
  return TB_OK;
}

int tb_comm_h5_dxpl(hid_t dxpl, int collective) {
#ifdef TB_HAVE_MPI
  if (H5Pset_dxpl_mpio(dxpl, collective ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT) < 0)
    return TB_ERR(TB_ERR_INTERNAL, "H5Pset_dxpl_mpio failed");
#else
  (void)dxpl;
  (void)collective;
#endif
  return TB_OK;
}
