/* N-body simulation: a star and four planets (masses and circular-orbit speeds of our own
 * choosing, in units where G = 1 and the star's mass is 4*pi^2, i.e. AU and years), integrated
 * with a symplectic Euler step of 0.001 years, n steps. f64 arithmetic, division and sqrt.
 * Returns the final energy scaled to an integer (all operations are exact IEEE, so every
 * runtime and gcc agree bit for bit). */
#include "common.h"

#define BODIES 5
#define PI 3.141592653589793
#define STAR_MASS (4 * PI * PI)

typedef struct { double x, y, z, vx, vy, vz, m; } Body;
static Body bodies[BODIES];

static void init(void) {
    static const double radius[BODIES] = {0, 1.0, 1.52, 5.2, 9.54};
    static const double mass[BODIES] = {1, 3.0e-6, 3.2e-7, 9.5e-4, 2.9e-4};
    for (int i = 0; i < BODIES; i++) {
        Body *b = &bodies[i];
        double r = radius[i], v = i ? __builtin_sqrt(STAR_MASS / r) : 0;
        /* Each planet starts at a different angle (cos/sin of 0, 90, 180, 270 degrees), its
         * velocity perpendicular and a small tilt out of the plane. */
        double c = (i & 1) ? 0 : ((i & 2) ? -1 : 1), s = (i & 1) ? ((i & 2) ? -1 : 1) : 0;
        b->x = r * c; b->y = r * s; b->z = 0.01 * r * (i & 1 ? 1 : -1);
        b->vx = -v * s; b->vy = v * c; b->vz = 0.001 * v;
        b->m = mass[i] * STAR_MASS;
    }
    /* Give the star the opposite momentum, so the centre of mass stays put. */
    double px = 0, py = 0, pz = 0;
    for (int i = 1; i < BODIES; i++) {
        px += bodies[i].vx * bodies[i].m;
        py += bodies[i].vy * bodies[i].m;
        pz += bodies[i].vz * bodies[i].m;
    }
    bodies[0].vx = -px / bodies[0].m;
    bodies[0].vy = -py / bodies[0].m;
    bodies[0].vz = -pz / bodies[0].m;
}

static NOINLINE void advance(double dt) {
    for (int i = 0; i < BODIES; i++) {
        Body *a = &bodies[i];
        for (int j = i + 1; j < BODIES; j++) {
            Body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * __builtin_sqrt(d2));
            a->vx -= dx * b->m * mag; a->vy -= dy * b->m * mag; a->vz -= dz * b->m * mag;
            b->vx += dx * a->m * mag; b->vy += dy * a->m * mag; b->vz += dz * a->m * mag;
        }
    }
    for (int i = 0; i < BODIES; i++) {
        Body *b = &bodies[i];
        b->x += dt * b->vx; b->y += dt * b->vy; b->z += dt * b->vz;
    }
}

static double energy(void) {
    double e = 0;
    for (int i = 0; i < BODIES; i++) {
        Body *a = &bodies[i];
        e += 0.5 * a->m * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
        for (int j = i + 1; j < BODIES; j++) {
            Body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            e -= a->m * b->m / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

EXPORT int run(int n) {
    init();
    for (int i = 0; i < n; i++) advance(0.001);
    return (int)(i64)(energy() * 1e6);
}
