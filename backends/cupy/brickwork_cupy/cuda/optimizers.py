"""CUDA source of the optimizer updates: one fused, in-place kernel each.

Every kernel walks ``n`` elements of contiguous arrays with a grid-stride
loop; hyperparameters arrive in the variable's dtype ``T`` (as the NumPy
backend computes them), and step-dependent factors are computed on the host.
Optional state arrays come with a flag; when the flag is 0 the pointer is a
placeholder and never read.
"""

NAME = "optimizers"

KERNELS = ("sgd_update", "adam_update", "rmsprop_update", "adagrad_update",
           "adadelta_update", "adamax_update", "nadam_update", "lion_update", "ftrl_update")

CODE = r"""
// has_momentum == 0: var -= lr * g. Otherwise m = momentum * m - lr * g, then
// var += momentum * m - lr * g (nesterov) or var += m.
template <typename T>
__global__ void sgd_update(T* var, const T* g, T* m, T lr, T momentum,
                           int has_momentum, int nesterov, i64 n) {
    BW_FOR(i, n) {
        T gi = g[i];
        if (!has_momentum) { var[i] -= lr * gi; continue; }
        T mi = momentum * m[i] - lr * gi;
        m[i] = mi;
        var[i] += nesterov ? momentum * mi - lr * gi : mi;
    }
}

// alpha = lr * sqrt(1 - beta_2**step) / (1 - beta_1**step), from the host.
template <typename T>
__global__ void adam_update(T* var, const T* g, T* m, T* v, T* vhat, T alpha,
                            T beta_1, T beta_2, T epsilon, int amsgrad, i64 n) {
    BW_FOR(i, n) {
        T gi = g[i];
        T mi = m[i] + (gi - m[i]) * (T(1) - beta_1);
        T vi = v[i] + (gi * gi - v[i]) * (T(1) - beta_2);
        m[i] = mi;
        v[i] = vi;
        if (amsgrad) {
            if (vi < vhat[i]) vi = vhat[i];
            vhat[i] = vi;
        }
        var[i] -= alpha * mi / (sqrt(vi) + epsilon);
    }
}

template <typename T>
__global__ void rmsprop_update(T* var, const T* g, T* velocity, T* mom, T* avg, T lr, T rho,
                               T momentum, T epsilon, int has_momentum, int centered, i64 n) {
    BW_FOR(i, n) {
        T gi = g[i];
        T vel = rho * velocity[i] + (T(1) - rho) * gi * gi;
        velocity[i] = vel;
        T denominator;
        if (centered) {
            T a = rho * avg[i] + (T(1) - rho) * gi;
            avg[i] = a;
            denominator = vel - a * a + epsilon;
        } else {
            denominator = vel + epsilon;
        }
        T increment = lr * gi / sqrt(denominator);
        if (has_momentum) {
            T b = momentum * mom[i] + increment;
            mom[i] = b;
            var[i] -= b;
        } else {
            var[i] -= increment;
        }
    }
}

template <typename T>
__global__ void adagrad_update(T* var, const T* g, T* acc, T lr, T epsilon, i64 n) {
    BW_FOR(i, n) {
        T gi = g[i];
        T a = acc[i] + gi * gi;
        acc[i] = a;
        var[i] -= lr * gi / sqrt(a + epsilon);
    }
}

template <typename T>
__global__ void adadelta_update(T* var, const T* g, T* acc_grad, T* acc_delta, T lr, T rho,
                                T epsilon, i64 n) {
    BW_FOR(i, n) {
        T gi = g[i];
        T ag = rho * acc_grad[i] + (T(1) - rho) * gi * gi;
        acc_grad[i] = ag;
        T delta = -sqrt(acc_delta[i] + epsilon) * gi / sqrt(ag + epsilon);
        acc_delta[i] = rho * acc_delta[i] + (T(1) - rho) * delta * delta;
        var[i] += lr * delta;
    }
}

// bias_correction = 1 - beta_1**step, from the host.
template <typename T>
__global__ void adamax_update(T* var, const T* g, T* m, T* norm, T lr, T beta_1, T beta_2,
                              T epsilon, T bias_correction, i64 n) {
    BW_FOR(i, n) {
        T gi = g[i];
        T mi = m[i] + (gi - m[i]) * (T(1) - beta_1);
        m[i] = mi;
        T u = beta_2 * norm[i];
        T ag = fabs(gi);
        if (ag > u) u = ag;
        norm[i] = u;
        var[i] -= lr * mi / (bias_correction * (u + epsilon));
    }
}

// m_scale = u_next / (1 - u_product * u_next), g_scale = (1 - u_t) / (1 - u_product),
// v_scale = 1 / (1 - beta_2**step), all from the host.
template <typename T>
__global__ void nadam_update(T* var, const T* g, T* m, T* v, T lr, T beta_1, T beta_2,
                             T epsilon, T m_scale, T g_scale, T v_scale, i64 n) {
    BW_FOR(i, n) {
        T gi = g[i];
        T mi = m[i] + (gi - m[i]) * (T(1) - beta_1);
        T vi = v[i] + (gi * gi - v[i]) * (T(1) - beta_2);
        m[i] = mi;
        v[i] = vi;
        T m_hat = mi * m_scale + gi * g_scale;
        var[i] -= lr * m_hat / (sqrt(vi * v_scale) + epsilon);
    }
}

template <typename T>
__global__ void lion_update(T* var, const T* g, T* m, T lr, T beta_1, T beta_2, i64 n) {
    BW_FOR(i, n) {
        T gi = g[i];
        T d = beta_1 * m[i] + (T(1) - beta_1) * gi;
        T s = d > T(0) ? T(1) : (d < T(0) ? T(-1) : T(0));
        var[i] -= lr * s;
        m[i] = beta_2 * m[i] + (T(1) - beta_2) * gi;
    }
}

// p = -learning_rate_power; l2 = l2_strength + beta / (2 lr), from the host.
template <typename T>
__global__ void ftrl_update(T* var, const T* g, T* acc, T* linear, T lr, T p, T l1, T l2,
                            T l2_shrinkage, i64 n) {
    BW_FOR(i, n) {
        T gi = g[i];
        T w = var[i];
        T a = acc[i];
        T na = a + gi * gi;
        T new_power = p == T(0.5) ? sqrt(na) : pow(na, p);
        T old_power = p == T(0.5) ? sqrt(a) : pow(a, p);
        T lin = linear[i] + gi + T(2) * l2_shrinkage * w - (new_power - old_power) / lr * w;
        linear[i] = lin;
        T quadratic = new_power / lr + T(2) * l2;
        T clipped = lin < -l1 ? -l1 : (lin > l1 ? l1 : lin);
        var[i] = (clipped - lin) / quadratic;
        acc[i] = na;
    }
}
"""
