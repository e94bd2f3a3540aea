/* The server's shared state: time and the change signal long polls wait on. */
#include "tb_serve.h"

#include <string.h>
#include <time.h>

double tb_wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void tb_srv_changed(tb_srv *S) {
  pthread_mutex_lock(&S->change_lock);
  S->generation++;
  pthread_cond_broadcast(&S->change_cond);
  pthread_mutex_unlock(&S->change_lock);
}

void tb_srv_init(tb_srv *S) {
  pthread_mutex_init(&S->h5_lock, NULL);
  pthread_mutex_init(&S->change_lock, NULL);
  pthread_cond_init(&S->change_cond, NULL);
  S->started = tb_now();
}

void tb_srv_destroy(tb_srv *S) {
  pthread_mutex_destroy(&S->h5_lock);
  pthread_mutex_destroy(&S->change_lock);
  pthread_cond_destroy(&S->change_cond);
}
