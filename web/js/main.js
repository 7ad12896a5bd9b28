// Hearth web client entry: everything starts from AppView.
import AppView from 'views/app_view.js';

new AppView(document.getElementById('app')).start();
