import { config } from 'zod/mini';
import { en } from 'zod/locales';

/*
 * The functions validate with zod/mini, whose functional API lets the bundler keep only the
 * checks in use (the chained classic API carries every method of every schema, and its locales).
 * zod/mini registers no messages, so every default issue would read "Invalid input". English is
 * registered here, once, so step and API errors keep saying what was wrong ("expected string,
 * received number"); schema modules import this file for that side effect.
 */
config(en());
