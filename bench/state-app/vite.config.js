import react from '@vitejs/plugin-react';
import vue from '@vitejs/plugin-vue';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default { plugins: [react(), vue(), svelte()], logLevel: 'warn' };
